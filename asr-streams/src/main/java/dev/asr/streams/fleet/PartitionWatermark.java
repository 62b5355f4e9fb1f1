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
 * <p>A partition with no agent holds nothing back ({@link #EMPTY}); one that has had none since it
 * started, only once {@code quietMs} of wall time have passed: when a topology starts on a backlog, one partition's
 * task may be reading event time ten minutes on while another's has not read its first record; were
 * that one to say "nothing here" at once, the fleet windows would be written without its agents.
 *
 * <p>Pure: the processor reports each agent's closed-up-to as it moves, and the wall time.
 */
public final class PartitionWatermark {

    /** A partition with no agent: it holds nothing back. */
    public static final long EMPTY = Long.MAX_VALUE;

    /** Nothing to report yet: a partition that has had no agent for less than the quiet time. */
    public static final long UNKNOWN = Long.MIN_VALUE;

    private final long maxWaitMs;
    private final long quietMs;
    /** How many agents are at each closed-up-to. */
    private final TreeMap<Long, Integer> agentsAt = new TreeMap<>();
    /** Wall time when the partition started. */
    private final long startedAt;
    private boolean hadAgent;

    /**
     * @param quietMs how long (wall time) a partition that starts without agents waits before it holds nothing back
     * @param wallNow the wall time now, as the partition starts
     */
    public PartitionWatermark(long maxWaitMs, long quietMs, long wallNow) {
        this.maxWaitMs = maxWaitMs;
        this.quietMs = quietMs;
        this.startedAt = wallNow;
    }

    public void add(long closedUpTo) {
        agentsAt.merge(closedUpTo, 1, Integer::sum);
        hadAgent = true;
    }

    /** An agent left, forgotten once its views were empty: a partition its last agent left holds nothing back. */
    public void remove(long closedUpTo) {
        agentsAt.computeIfPresent(closedUpTo, (at, count) -> count == 1 ? null : count - 1);
    }

    public void move(long from, long to) {
        if (from != to) {
            agentsAt.computeIfPresent(from, (at, count) -> count == 1 ? null : count - 1);
            agentsAt.merge(to, 1, Integer::sum);
        }
    }

    /** How far the partition's most advanced agent has closed its buckets; Long.MIN_VALUE with no agent. */
    public long front() {
        return agentsAt.isEmpty() ? Long.MIN_VALUE : agentsAt.lastKey();
    }

    /**
     * The end up to which every window of this partition's agents is written; {@link #EMPTY} when
     * it has none, {@link #UNKNOWN} when it has had none in the quiet time since it started.
     */
    public long value(long wallNow) {
        if (agentsAt.isEmpty()) {
            return hadAgent || wallNow - startedAt >= quietMs ? EMPTY : UNKNOWN;
        }
        long earliest = agentsAt.firstKey();
        long front = agentsAt.lastKey();
        return Math.max(earliest, front - maxWaitMs);
    }
}
