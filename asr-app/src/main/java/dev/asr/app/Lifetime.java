package dev.asr.app;

import dev.asr.schemas.ops.Reachability;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * How long a command runs: until its duration passes or Ctrl-C (SIGINT/SIGTERM). On a signal the
 * JVM waits, up to {@link #GRACE}, for the command to finish its orderly shutdown, so nothing
 * acknowledged is lost and the broker closes its logs cleanly.
 */
final class Lifetime {

    static final Duration GRACE = Duration.ofSeconds(60);

    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch shutDown = new CountDownLatch(1);
    private volatile boolean signalled;

    Lifetime() {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            signalled = stopRequested.getCount() > 0;
            stopRequested.countDown();
            try {
                shutDown.await(GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "asr-shutdown"));
    }

    /** Blocks until {@code duration} has passed (forever when null) or a signal came. */
    void await(Duration duration) throws InterruptedException {
        if (duration == null) {
            stopRequested.await();
        } else {
            stopRequested.await(duration.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * Waits until Kafka and the registry have answered ({@code reach} logs why not, meanwhile), the
     * duration ends (null: no end) or a signal comes; true when they answered.
     */
    boolean awaitReached(Reachability reach, Duration duration) throws InterruptedException {
        long deadline = duration == null ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        while (stopRequested.getCount() > 0 && System.nanoTime() < deadline) {
            if (reach.awaitReached(Duration.ofMillis(Math.min(500, Math.max(1, (deadline - System.nanoTime()) / 1_000_000))))) {
                return true;
            }
        }
        return reach.reachedOnce();
    }

    /** Ends the run from within, e.g. when a service it waits on stopped by itself. */
    void stop() {
        stopRequested.countDown();
    }

    /** True when a signal, not the duration, ended the run. */
    boolean signalled() {
        return signalled;
    }

    /** Tells a waiting signal handler that the orderly shutdown is done. */
    void shutDown() {
        shutDown.countDown();
    }
}
