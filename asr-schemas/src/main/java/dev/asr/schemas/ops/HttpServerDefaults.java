package dev.asr.schemas.ops;

/**
 * Settings for the JDK's HTTP server ({@code com.sun.net.httpserver}), under the exporter's and
 * {@code asr streams}' endpoints, to apply before the first one is created in the process.
 *
 * <p>{@code sun.net.httpserver.nodelay=true}: the JDK's server leaves Nagle's algorithm on by
 * default, so the last small segment of a response waits for the client's acknowledgement of the
 * one before, which Linux delays up to 40 ms. A scrape of 1,000 agents (64 KB gzipped) then took
 * 47.7 ms at the median instead of 4.9 ({@code ./asr bench exporter --agents 1000}, median of three
 * runs, each beside a run with Nagle on). A value the user set is kept.
 */
public final class HttpServerDefaults {

    static final String NO_DELAY = "sun.net.httpserver.nodelay";

    private HttpServerDefaults() {}

    /** Call before creating a server; the JDK reads the setting once, when the first server is made. */
    public static void apply() {
        if (System.getProperty(NO_DELAY) == null) {
            System.setProperty(NO_DELAY, "true");
        }
    }
}
