package dev.asr.ingest.gateway;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tokens of {@code asr.ingest.tokens-file}, read again when the file changes (looked at every
 * {@link #POLL_MILLIS} ms: its modification time, size and identity, so a Kubernetes Secret's
 * symlink swap counts) or when the process gets SIGHUP. A reload swaps the whole set at once:
 * requests under way keep the grant they were let in with, none is dropped. A file that no longer
 * loads (a bad line, a repeated token) is refused with a warning naming the line, and the tokens
 * loaded before stay in force.
 */
final class TokensFile implements Supplier<Tokens>, AutoCloseable {

    static final long POLL_MILLIS = 2_000;
    private static final Logger log = LoggerFactory.getLogger(TokensFile.class);

    private final Path file;
    private volatile Tokens current;
    private volatile Object seen;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "asr-ingest-tokens");
        thread.setDaemon(true);
        return thread;
    });

    /** Loads the file (a bad one fails here, at start) and starts looking for changes. */
    TokensFile(Path file) {
        this.file = file;
        this.seen = stamp();
        this.current = Tokens.load(file);
        poller.scheduleWithFixedDelay(this::reloadIfChanged, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
        onHangUp(() -> poller.execute(() -> reload("SIGHUP")));
    }

    @Override
    public Tokens get() {
        return current;
    }

    private void reloadIfChanged() {
        Object now = stamp();
        if (!Objects.equals(now, seen)) {
            seen = now;
            reload("the file changed");
        }
    }

    private void reload(String why) {
        try {
            Tokens loaded = Tokens.load(file);
            current = loaded;
            log.info("Tokens reloaded from {} ({}): {} token(s)", file.toAbsolutePath(), why, loaded.size());
        } catch (RuntimeException e) {
            log.warn("The tokens file {} was not reloaded ({}), the tokens loaded before stay in force: {}", file.toAbsolutePath(), why,
                    e.getMessage());
        }
    }

    /** What tells a change: modification time, size and the file's identity (a replaced file is another inode). */
    private Object stamp() {
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            return List.of(attributes.lastModifiedTime(), attributes.size(), String.valueOf(attributes.fileKey()));
        } catch (IOException e) {
            return "unreadable: " + e.getMessage();
        }
    }

    /**
     * Runs {@code action} on SIGHUP where the JVM lets a program handle it; elsewhere the file is
     * still watched. A process started with SIGHUP ignored (under nohup) cannot take it: said once.
     */
    private static void onHangUp(Runnable action) {
        if (hangUpIgnored()) {
            log.warn("This process was started with SIGHUP ignored (nohup?): SIGHUP cannot reload the tokens file; changes to the"
                    + " file are still read within seconds");
            return;
        }
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> action.run());
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            log.debug("No SIGHUP handling here ({}): the tokens file is watched for changes", e.toString());
        }
    }

    /** Whether this process ignores SIGHUP (Linux: bit 1 of SigIgn in /proc/self/status); false where it cannot tell. */
    static boolean hangUpIgnored() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("SigIgn:")) {
                    return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 1L) != 0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: assume SIGHUP can be handled.
        }
        return false;
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
