package dev.asr.streams.fleet;

import java.util.TreeMap;

/**
 * How far one input partition has written its agents' rows: the earliest of its agents' clocks
 * (each agent has written every window ending at or before its earliest open bucket). Agents whose
 * clocks lag more than {@code maxWait} behind the partition's most advanced agent do not hold it
 * back: their rows arrive later, as corrections of the fleet rows. An agent that stamps its events
 * ahead (up to {@code asr.max-clock-skew}, at most {@code maxWait}) cannot make the partition
 * declare a window complete before its on-time agents have written it.
 *
 * <p>Pure: the processor reports each agent's closed-up-to as it moves.
 */
public final class PartitionWatermark {

    /** A partition with no agent: it holds nothing back. */
    public static final long EMPTY = Long.MAX_VALUE;

    private final long maxWaitMs;
    /** How many agents are at each closed-up-to. */
    private final TreeMap<Long, Integer> agentsAt = new TreeMap<>();

    public PartitionWatermark(long maxWaitMs) {
        this.maxWaitMs = maxWaitMs;
    }

    public void add(long closedUpTo) {
        agentsAt.merge(closedUpTo, 1, Integer::sum);
    }

    public void remove(long closedUpTo) {
        agentsAt.computeIfPresent(closedUpTo, (at, count) -> count == 1 ? null : count - 1);
    }

    public void move(long from, long to) {
        if (from != to) {
            remove(from);
            add(to);
        }
    }

    public void clear() {
        agentsAt.clear();
    }

    /** The end up to which every window of this partition's agents is written, or {@link #EMPTY}. */
    public long value() {
        if (agentsAt.isEmpty()) {
            return EMPTY;
        }
        long earliest = agentsAt.firstKey();
        long front = agentsAt.lastKey();
        return Math.max(earliest, front - maxWaitMs);
    }
}
