package dev.asr.app;

import dev.asr.ingest.simulator.FleetSettings;
import dev.asr.ingest.simulator.FleetSimulator;
import dev.asr.ingest.simulator.EventSink;
import dev.asr.schemas.TopicNames;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/** Runs a simulated fleet into a sink for a command's lifetime, printing delivery rates as it goes. */
final class SimulationRun {

    private SimulationRun() {}

    /**
     * How long the end of a run waits for the events under way: a run stops within its duration plus
     * this, whatever the broker does; what is undelivered by then is counted as failed.
     */
    static final Duration CLOSE_GRACE = Duration.ofSeconds(10);

    /**
     * Returns once the lifetime ends, with every event flushed or, after {@link #CLOSE_GRACE}, failed;
     * the sink is closed and keeps its counts. Throws, naming the error, when the simulator died: the
     * run ends then, not at its duration.
     */
    static EventSink run(EventSink sink, TopicNames topics, FleetSettings fleet, Lifetime lifetime, Duration duration,
            Duration progressInterval, PrintWriter out, java.util.function.Supplier<String> more) throws InterruptedException {
        FleetSimulator simulator = new FleetSimulator(fleet, sink, Clock.systemUTC());
        // A simulator that dies ends the run with its error: a demo whose fleet stopped reporting must not look alive.
        AtomicReference<Throwable> died = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                simulator.run();
            } catch (RuntimeException | Error e) {
                died.set(e);
                lifetime.stop();
            }
        }, "asr-simulator");
        producer.setDaemon(true);
        DeliveryProgress progress = new DeliveryProgress(sink, topics.spend(), topics.outcomes(), out, more);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "asr-progress");
            thread.setDaemon(true);
            return thread;
        });
        long interval = progressInterval.toMillis();
        producer.start();
        ticker.scheduleAtFixedRate(progress::print, interval, interval, TimeUnit.MILLISECONDS);
        try {
            lifetime.await(duration);
        } finally {
            simulator.stop();
            long deadline = System.nanoTime() + CLOSE_GRACE.toNanos();
            producer.join(CLOSE_GRACE.toMillis());
            ticker.shutdownNow();
            sink.close(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            progress.print();
        }
        Throwable error = died.get();
        if (error != null) {
            throw new IllegalStateException("the simulated fleet stopped on an error: " + error, error);
        }
        return sink;
    }
}
