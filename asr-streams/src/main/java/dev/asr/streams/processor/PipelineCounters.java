package dev.asr.streams.processor;

import dev.asr.schemas.rules.Rejection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Operational counters of a Streams process: what was dead-lettered and why, duplicates, late
 * records, timed-out tasks, sums held at their bound. Counts of work done, not figures: a batch
 * that is reprocessed after a crash counts again, unlike the exactly-once figures.
 *
 * <p>Each processor counts in a {@link Cell} of its own, written by its stream thread alone
 * (ordered, uncontended writes: a counter shared by threads cost several percent of the
 * topology's time); reads sum the cells.
 */
public final class PipelineCounters {

    private enum Count {
        PROCESSED, DUPLICATES, LATE, TIMED_OUT, METRICS, TRANSITIONS, SATURATED, FLEET_DROPPED
    }

    private static final int DEAD_LETTERS = Count.values().length;
    private static final int SIZE = DEAD_LETTERS + Rejection.values().length;

    private final List<AtomicLongArray> cells = new CopyOnWriteArrayList<>();

    /** A new set of counts for one processor: one thread may write it. */
    Cell cell() {
        AtomicLongArray counts = new AtomicLongArray(SIZE);
        cells.add(counts);
        return new Cell(counts);
    }

    /** One processor's counts. */
    static final class Cell {
        private final AtomicLongArray counts;

        private Cell(AtomicLongArray counts) {
            this.counts = counts;
        }

        private void add(int index) {
            counts.lazySet(index, counts.getPlain(index) + 1);
        }

        void processed() {
            add(Count.PROCESSED.ordinal());
        }

        void duplicate() {
            add(Count.DUPLICATES.ordinal());
        }

        void late() {
            add(Count.LATE.ordinal());
        }

        void timedOut() {
            add(Count.TIMED_OUT.ordinal());
        }

        void metrics() {
            add(Count.METRICS.ordinal());
        }

        void transition() {
            add(Count.TRANSITIONS.ordinal());
        }

        void saturated() {
            add(Count.SATURATED.ordinal());
        }

        void fleetContributionDropped() {
            add(Count.FLEET_DROPPED.ordinal());
        }

        void deadLetter(Rejection rejection) {
            add(DEAD_LETTERS + rejection.ordinal());
        }
    }

    private long sum(int index) {
        long sum = 0;
        for (AtomicLongArray cell : cells) {
            sum += cell.get(index);
        }
        return sum;
    }

    public long deadLetters(Rejection rejection) {
        return sum(DEAD_LETTERS + rejection.ordinal());
    }

    public long deadLetters() {
        long sum = 0;
        for (Rejection rejection : Rejection.values()) {
            sum += deadLetters(rejection);
        }
        return sum;
    }

    /** Valid input events taken (duplicates and late ones included). */
    public long processed() {
        return sum(Count.PROCESSED.ordinal());
    }

    public long duplicates() {
        return sum(Count.DUPLICATES.ordinal());
    }

    public long late() {
        return sum(Count.LATE.ordinal());
    }

    public long timedOut() {
        return sum(Count.TIMED_OUT.ordinal());
    }

    public long metricsEmitted() {
        return sum(Count.METRICS.ordinal());
    }

    public long transitionsEmitted() {
        return sum(Count.TRANSITIONS.ordinal());
    }

    /** Agents' windows that reached the fleet roll-up after their fleet window was forgotten: not in any fleet row. */
    public long fleetContributionsDropped() {
        return sum(Count.FLEET_DROPPED.ordinal());
    }

    /** Operations where a sum reached the range of a long and was held there instead of wrapping round. */
    public long saturated() {
        return sum(Count.SATURATED.ordinal());
    }
}
