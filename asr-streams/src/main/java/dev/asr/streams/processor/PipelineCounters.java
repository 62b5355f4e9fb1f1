package dev.asr.streams.processor;

import dev.asr.schemas.rules.Rejection;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Operational counters of a Streams process, shared by its threads: what was dead-lettered and
 * why, duplicates, late records, timed-out tasks, sums held at their bound. Counts of work done, not figures: a batch that is
 * reprocessed after a crash counts again, unlike the exactly-once figures.
 */
public final class PipelineCounters {

    private final Map<Rejection, LongAdder> deadLetters = new EnumMap<>(Rejection.class);
    private final LongAdder processed = new LongAdder();
    private final LongAdder duplicates = new LongAdder();
    private final LongAdder late = new LongAdder();
    private final LongAdder timedOut = new LongAdder();
    private final LongAdder metricsEmitted = new LongAdder();
    private final LongAdder transitionsEmitted = new LongAdder();
    private final LongAdder saturated = new LongAdder();

    public PipelineCounters() {
        for (Rejection rejection : Rejection.values()) {
            deadLetters.put(rejection, new LongAdder());
        }
    }

    void recordProcessed() {
        processed.increment();
    }

    void recordDeadLetter(Rejection rejection) {
        deadLetters.get(rejection).increment();
    }

    void recordDuplicate() {
        duplicates.increment();
    }

    void recordLate() {
        late.increment();
    }

    void recordTimedOut() {
        timedOut.increment();
    }

    void recordMetrics() {
        metricsEmitted.increment();
    }

    void recordTransition() {
        transitionsEmitted.increment();
    }

    void recordSaturated() {
        saturated.increment();
    }

    public long deadLetters(Rejection rejection) {
        return deadLetters.get(rejection).sum();
    }

    public long deadLetters() {
        return deadLetters.values().stream().mapToLong(LongAdder::sum).sum();
    }

    public long processed() {
        return processed.sum();
    }

    public long duplicates() {
        return duplicates.sum();
    }

    public long late() {
        return late.sum();
    }

    public long timedOut() {
        return timedOut.sum();
    }

    public long metricsEmitted() {
        return metricsEmitted.sum();
    }

    public long transitionsEmitted() {
        return transitionsEmitted.sum();
    }

    /** Operations where a sum reached the range of a long and was held there instead of wrapping round. */
    public long saturated() {
        return saturated.sum();
    }
}
