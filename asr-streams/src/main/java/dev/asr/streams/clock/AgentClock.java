package dev.asr.streams.clock;

/**
 * One agent's event-time clock (SPEC §4 v2). Each agent keeps its own, so an agent whose host
 * stamps events ahead (up to {@code asr.max-clock-skew}) moves only its own buckets on, never
 * another agent's.
 *
 * <ul>
 *   <li>The clock is the highest {@code occurred_at} of the agent's events, the <em>high water</em>.
 *   <li>Buckets ({@code bucket} long) close when the clock passes their end plus {@code grace}.
 *       {@link #closedUpTo()} is the end of the last closed bucket: the start of the earliest open
 *       one.
 *   <li>An agent that has had no event for longer than {@code grace} of wall time is moved on by
 *       the wall clock, so its buckets still close and its tasks still time out &mdash; when its
 *       events arrive as they happen (<em>live</em>: the event that last moved its high water was
 *       read within {@code grace} of its {@code occurred_at}; a late event changes nothing). An
 *       agent whose events are <em>history</em> (read later than that: a backlog after an outage,
 *       a replay, a partition that moved to another instance and is catching up) is not silent
 *       when the wall clock says so: its next events may simply not have been read yet (a fetch,
 *       a rebalance, a broker failing over), and moving it on would make those events late and
 *       the figures depend on how fast the backlog was read. Such an agent is moved on by its
 *       partition's front (below), or by the wall clock only after {@code asr.fleet.max-wait} of
 *       silence.
 *   <li>No agent's clock lags its partition's most advanced agent by more than {@code
 *       asr.fleet.max-wait} (at least {@code asr.max-clock-skew} plus a bucket): an agent that far
 *       behind has gone silent (after a restart, or while a backlog is read faster than real time,
 *       the wall clock alone would leave it behind, and fleet rows waiting on it), or its host's
 *       clock is that slow. An agent stamping its events ahead cannot push an on-time one: the
 *       front it sets is at most {@code max-clock-skew} ahead.
 *   <li>An event before {@link #closedUpTo()} is <em>late</em>: it is applied to the earliest open
 *       bucket. One older than the high water by more than the longest view is <em>too late</em>:
 *       no open window could hold it.
 * </ul>
 *
 * <p>Pure: wall time is passed in. The wall time of the last event is not stored: after a restart
 * the clock counts the agent's silence from the restart, and an agent whose latest event is older
 * than grace at the restart reads as history until a new event says otherwise.
 */
public final class AgentClock {

    private final long bucketMs;
    private final long graceMs;
    private long highWater;
    private long closedUpTo;
    private long wallAtLastEvent;
    /** Whether the event that last moved the high water was read within grace of its time (as of a restore: the restart's). */
    private boolean live;

    private AgentClock(long bucketMs, long graceMs, long highWater, long closedUpTo, long wallAtLastEvent) {
        if (bucketMs <= 0 || graceMs < 0) {
            throw new IllegalArgumentException("bucket must be positive and grace not negative");
        }
        this.bucketMs = bucketMs;
        this.graceMs = graceMs;
        this.highWater = highWater;
        this.closedUpTo = closedUpTo;
        this.wallAtLastEvent = wallAtLastEvent;
        this.live = wallAtLastEvent - highWater <= graceMs;
    }

    /** The clock of an agent seen for the first time, at its first event: buckets from that event's time minus grace are open. */
    public static AgentClock start(long bucketMs, long graceMs, long firstEventTime, long wallNow) {
        return new AgentClock(bucketMs, graceMs, firstEventTime, floor(firstEventTime - graceMs, bucketMs), wallNow);
    }

    /** A clock as it was saved, its silence counted from {@code wallNow}. */
    public static AgentClock restore(long bucketMs, long graceMs, long highWater, long closedUpTo, long wallNow) {
        return new AgentClock(bucketMs, graceMs, highWater, closedUpTo, wallNow);
    }

    /** The highest event time seen: the time of the agent's latest event. */
    public long highWater() {
        return highWater;
    }

    /** Every bucket ending at or before this has closed; the earliest open bucket starts here. */
    public long closedUpTo() {
        return closedUpTo;
    }

    /** True when {@code eventTime}'s own bucket has closed. */
    public boolean isLate(long eventTime) {
        return eventTime < closedUpTo;
    }

    /** True when {@code eventTime} is older than the high water by more than {@code longestViewMs}. */
    public boolean isTooLate(long eventTime, long longestViewMs) {
        return eventTime < highWater - longestViewMs;
    }

    /** The bucket an event is counted in: its own while open, else the earliest open one. */
    public long bucketOf(long eventTime) {
        return eventTime < closedUpTo ? closedUpTo : floor(eventTime, bucketMs);
    }

    /** An event of this agent arrived (not a duplicate, not refused): the clock moves to its time if later. */
    public void observe(long eventTime, long wallNow) {
        if (eventTime > highWater) {
            highWater = eventTime;
            live = wallNow - eventTime <= graceMs;
        }
        wallAtLastEvent = wallNow;
    }

    /**
     * A duplicate of an event already counted: it still tells the agent's time (a resend is
     * stamped when it is sent again), but it does not end the agent's silence, so a client
     * resending the same records cannot hold its clock still.
     */
    public void advance(long eventTime) {
        if (eventTime > highWater) {
            highWater = eventTime;
        }
    }

    /**
     * True when the agent's events arrive as they happen: the one that last moved its high water was
     * read within grace of its time (events stamped ahead of the wall clock included).
     */
    public boolean live() {
        return live;
    }

    /**
     * The clock now: the high water, moved on by the wall clock once a live agent has been silent
     * for longer than grace. An agent reading history is not moved here (see {@link #now(long,
     * long, long)}).
     */
    public long now(long wallNow) {
        return live() ? movedOn(wallNow, graceMs) : highWater;
    }

    private long movedOn(long wallNow, long silenceMs) {
        return highWater + Math.max(0, wallNow - wallAtLastEvent - silenceMs);
    }

    /**
     * The clock now, for a partition whose most advanced agent has closed its buckets up to {@code
     * frontClosedUpTo}: at least far enough on to have closed this agent's buckets up to {@code
     * maxWaitMs} behind that. An agent reading history is moved on by the wall clock too, once
     * silent for {@code maxWaitMs} (at least grace): a backlog whose partition has no live agent
     * still closes its last buckets and times its tasks out.
     */
    public long now(long wallNow, long frontClosedUpTo, long maxWaitMs) {
        long own = live() ? movedOn(wallNow, graceMs) : movedOn(wallNow, Math.max(graceMs, maxWaitMs));
        return frontClosedUpTo == Long.MIN_VALUE ? own : Math.max(own, frontClosedUpTo - maxWaitMs + graceMs);
    }

    /** True when this clock has closed its buckets less far than {@code maxWaitMs} behind {@code frontClosedUpTo}. */
    public boolean lags(long frontClosedUpTo, long maxWaitMs) {
        return frontClosedUpTo != Long.MIN_VALUE && closedUpTo < frontClosedUpTo - maxWaitMs;
    }

    /** True when the clock at {@code clockTime} has passed the earliest open bucket's end plus grace. */
    public boolean closeDue(long clockTime) {
        return clockTime >= closedUpTo + bucketMs + graceMs;
    }

    /** Closes the earliest open bucket and returns its start. */
    public long closeNext() {
        long start = closedUpTo;
        closedUpTo += bucketMs;
        return start;
    }

    public static long floor(long time, long bucketMs) {
        return Math.floorDiv(time, bucketMs) * bucketMs;
    }
}
