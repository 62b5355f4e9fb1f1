package dev.asr.app;

import dev.asr.ingest.simulator.EventSink;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Locale;

/** Prints the rates at which the simulator's events were delivered, per topic, every few seconds. */
final class DeliveryProgress {

    private final EventSink sink;
    private final String spendTopic;
    private final String outcomesTopic;
    private final PrintWriter out;
    private final java.util.function.Supplier<String> more;
    private final long start = System.nanoTime();
    private long lastNanos = start;
    private long lastSpend;
    private long lastOutcomes;

    /** @param more what else to show on each line (e.g. the topology's counts), or null */
    DeliveryProgress(EventSink sink, String spendTopic, String outcomesTopic, PrintWriter out,
            java.util.function.Supplier<String> more) {
        this.sink = sink;
        this.more = more;
        this.spendTopic = spendTopic;
        this.outcomesTopic = outcomesTopic;
        this.out = out;
    }

    /** Prints the rates since the last line; skipped when less than a second passed (a rate would mislead). */
    synchronized void print() {
        long now = System.nanoTime();
        if (now - lastNanos < 1_000_000_000L) {
            return;
        }
        long spend = sink.spendDelivered();
        long outcomes = sink.outcomesDelivered();
        double seconds = Math.max(1e-9, (now - lastNanos) / 1e9);
        String line = String.format(Locale.ROOT, "[%s] %s %7.1f ev/s %10s   %s %7.1f ev/s %10s   failed %d",
                clock(Duration.ofNanos(now - start)), spendTopic, (spend - lastSpend) / seconds, String.format(Locale.ROOT, "(%,d)", spend),
                outcomesTopic, (outcomes - lastOutcomes) / seconds, String.format(Locale.ROOT, "(%,d)", outcomes), sink.failed());
        if (more != null) {
            line += "   " + more.get();
        }
        if (sink.lastError() != null && sink.failed() > 0) {
            line += " (last: " + sink.lastError() + ")";
        }
        out.println(line);
        out.flush();
        lastNanos = now;
        lastSpend = spend;
        lastOutcomes = outcomes;
    }

    static String clock(Duration elapsed) {
        long s = elapsed.toSeconds();
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}
