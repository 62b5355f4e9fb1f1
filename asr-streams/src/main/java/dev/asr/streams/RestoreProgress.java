package dev.asr.streams;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How far the restoration of state from the changelogs has come: records left to read (a gauge to
 * alert on, and what {@code /readyz} waits for), records read since start, and a log line at most
 * every 10 s while a restoration runs ("Restoring state from the changelogs: 1,200,000 of 3,000,000
 * records ...").
 */
final class RestoreProgress implements StateRestoreListener {

    private static final Logger log = LoggerFactory.getLogger(RestoreProgress.class);
    private static final long LOG_EVERY_NANOS = Duration.ofSeconds(10).toNanos();

    /** Per changelog partition being restored: records left. */
    private final Map<TopicPartition, Long> remaining = new HashMap<>();
    private final AtomicLong restored = new AtomicLong();
    private long total;
    private long startedNanos;
    private long loggedNanos;

    @Override
    public synchronized void onRestoreStart(TopicPartition partition, String store, long startingOffset, long endingOffset) {
        long left = Math.max(0, endingOffset - startingOffset);
        if (remaining.isEmpty()) {
            total = 0;
            startedNanos = System.nanoTime();
            loggedNanos = startedNanos;
        }
        remaining.put(partition, left);
        total += left;
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {
        restored.addAndGet(numRestored);
        synchronized (this) {
            remaining.computeIfPresent(partition, (p, left) -> Math.max(0, left - numRestored));
            long now = System.nanoTime();
            if (now - loggedNanos >= LOG_EVERY_NANOS) {
                loggedNanos = now;
                long left = remainingRecords();
                log.info("Restoring state from the changelogs: {} of {} records ({} partitions), {} s so far", String.format("%,d",
                        total - left), String.format("%,d", total), remaining.size(), (now - startedNanos) / 1_000_000_000L);
            }
        }
    }

    @Override
    public synchronized void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
        remaining.remove(partition);
        if (remaining.isEmpty() && total > 0) {
            log.info("State restored: {} records in {} s", String.format("%,d", total), (System.nanoTime() - startedNanos) / 1_000_000_000L);
        }
    }

    @Override
    public synchronized void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
        remaining.remove(partition); // the task moved to another instance before it was restored
    }

    /** Records still to read from the changelogs before the tasks being restored can process. */
    synchronized long remainingRecords() {
        return remaining.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Records read from the changelogs since the process started. */
    long restoredRecords() {
        return restored.get();
    }
}
