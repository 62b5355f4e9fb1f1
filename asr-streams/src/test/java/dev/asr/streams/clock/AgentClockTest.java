package dev.asr.streams.clock;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** SPEC §4 v2 for one agent's clock, with a 1-minute bucket and 2 minutes of grace; times in seconds. */
class AgentClockTest {

    private static final long S = 1_000;
    private static final long BUCKET = 60 * S;
    private static final long GRACE = 120 * S;
    /** The wall clock when the agents below start: their first event, at 10m10s, is read as it happens. */
    private static final long WALL = 610 * S;

    private static AgentClock startedAt(long seconds) {
        return AgentClock.start(BUCKET, GRACE, seconds * S, WALL);
    }

    @Test
    void aNewAgentsBucketsFromItsFirstEventMinusTheGracePeriodAreOpen() {
        AgentClock clock = startedAt(610); // 10m10s
        assertThat(clock.highWater()).isEqualTo(610 * S);
        assertThat(clock.closedUpTo()).as("floor(10m10s - 2m) = 8m").isEqualTo(480 * S);
    }

    @Test
    void anEventAtTheEarliestOpenBucketsStartIsOnTimeAndOneMillisecondBeforeIsLate() {
        AgentClock clock = startedAt(610);
        assertThat(clock.isLate(480 * S)).isFalse();
        assertThat(clock.bucketOf(480 * S)).isEqualTo(480 * S);
        assertThat(clock.isLate(480 * S - 1)).isTrue();
        assertThat(clock.bucketOf(480 * S - 1)).as("a late event goes to the earliest open bucket").isEqualTo(480 * S);
        assertThat(clock.bucketOf(599 * S)).as("an on-time event goes to its own bucket").isEqualTo(540 * S);
    }

    @Test
    void theClockIsTheHighestEventTimeNotTheLatestToArrive() {
        AgentClock clock = startedAt(610);
        clock.observe(700 * S, WALL);
        clock.observe(650 * S, WALL);
        assertThat(clock.highWater()).isEqualTo(700 * S);
        assertThat(clock.now(WALL)).isEqualTo(700 * S);
    }

    @Test
    void aBucketClosesWhenTheClockReachesItsEndPlusGraceNotAMillisecondBefore() {
        AgentClock clock = startedAt(610); // earliest open [8m, 9m): closes at 9m + 2m = 11m
        assertThat(clock.closeDue(660 * S - 1)).isFalse();
        assertThat(clock.closeDue(660 * S)).isTrue();
        assertThat(clock.closeNext()).isEqualTo(480 * S);
        assertThat(clock.closedUpTo()).isEqualTo(540 * S);
        assertThat(clock.closeDue(660 * S)).as("the next closes at 12m").isFalse();
    }

    @Test
    void aSilentAgentIsMovedOnByTheWallClockOnceTheGracePeriodHasPassed() {
        AgentClock clock = startedAt(610);
        assertThat(clock.now(WALL + GRACE)).as("silent for exactly the grace period: not yet").isEqualTo(610 * S);
        assertThat(clock.now(WALL + GRACE + 50 * S)).isEqualTo(660 * S);
        assertThat(clock.closeDue(clock.now(WALL + GRACE + 50 * S))).isTrue();
    }

    @Test
    void noAgentLagsItsPartitionsMostAdvancedAgentByMoreThanTheMaxWait() {
        AgentClock clock = startedAt(610); // closed up to 8m
        long front = 3_600 * S; // another agent of the partition has closed its buckets up to 1h
        long maxWait = 600 * S;
        assertThat(clock.lags(front, maxWait)).isTrue();
        assertThat(clock.now(WALL, front, maxWait)).as("far enough on to close its buckets up to 50m").isEqualTo(3_000 * S + GRACE);
        assertThat(clock.now(WALL, Long.MIN_VALUE, maxWait)).as("no front").isEqualTo(610 * S);
        assertThat(clock.lags(480 * S + maxWait, maxWait)).as("exactly the max wait behind").isFalse();
        assertThat(clock.now(WALL, 480 * S + maxWait, maxWait)).as("a front within the max wait changes nothing").isEqualTo(610 * S);
    }

    @Test
    void anEventEndsTheSilence() {
        AgentClock clock = startedAt(610);
        clock.observe(600 * S, WALL + 100 * S); // an older event, 100 s of wall time later
        assertThat(clock.now(WALL + 100 * S)).as("the silence starts again").isEqualTo(610 * S);
        assertThat(clock.now(WALL + 100 * S + GRACE + S)).isEqualTo(611 * S);
    }

    @Test
    void anAgentWhoseLatestEventWasReadExactlyGraceAfterItHappenedIsLiveAndOneMillisecondLaterHistory() {
        assertThat(AgentClock.start(BUCKET, GRACE, 610 * S, 610 * S + GRACE).live()).isTrue();
        assertThat(AgentClock.start(BUCKET, GRACE, 610 * S, 610 * S + GRACE + 1).live()).isFalse();
        assertThat(AgentClock.start(BUCKET, GRACE, 610 * S, 610 * S - 300 * S).live()).as("stamped ahead of the wall clock").isTrue();
    }

    @Test
    void anAgentReadingHistoryIsNotMovedOnByTheWallClockAfterGraceButAfterTheMaxWait() {
        long readAt = WALL + 3_600 * S; // its events are read an hour after they happened: a backlog
        AgentClock clock = AgentClock.start(BUCKET, GRACE, 610 * S, readAt);
        long maxWait = 600 * S;
        assertThat(clock.now(readAt + GRACE + 50 * S)).as("its next events may not have been read yet").isEqualTo(610 * S);
        assertThat(clock.now(readAt + maxWait, Long.MIN_VALUE, maxWait)).as("silent for exactly the max wait").isEqualTo(610 * S);
        assertThat(clock.now(readAt + maxWait + 50 * S, Long.MIN_VALUE, maxWait)).isEqualTo(660 * S);
        assertThat(clock.now(readAt + GRACE + 50 * S, 3_600 * S, maxWait)).as("its partition's front still moves it")
                .isEqualTo(3_000 * S + GRACE);
    }

    @Test
    void aLateEventOfALiveAgentLeavesItLive() {
        AgentClock clock = startedAt(610);
        clock.observe(400 * S, WALL + 600 * S); // ten minutes of silence, then an event from before them
        assertThat(clock.live()).isTrue();
        assertThat(clock.now(WALL + 600 * S + GRACE + S)).as("its silence counts from that event").isEqualTo(611 * S);
    }

    @Test
    void aMaxWaitShorterThanGraceStillWaitsGraceForAnAgentReadingHistory() {
        long readAt = WALL + 3_600 * S;
        AgentClock clock = AgentClock.start(BUCKET, GRACE, 610 * S, readAt);
        assertThat(clock.now(readAt + GRACE, Long.MIN_VALUE, 60 * S)).isEqualTo(610 * S);
        assertThat(clock.now(readAt + GRACE + S, Long.MIN_VALUE, 60 * S)).isEqualTo(611 * S);
    }

    @Test
    void anAgentReadingHistoryIsLiveAgainOnceAnEventArrivesAsItHappens() {
        long readAt = WALL + 3_600 * S;
        AgentClock clock = AgentClock.start(BUCKET, GRACE, 610 * S, readAt);
        clock.observe(readAt - 10 * S, readAt); // caught up: this one happened 10 s ago
        assertThat(clock.live()).isTrue();
        assertThat(clock.now(readAt + GRACE + 50 * S)).isEqualTo(readAt + 40 * S);
    }

    @Test
    void aRestoredClockWhoseLatestEventCameWithinGraceOfTheRestartIsLive() {
        AgentClock restored = AgentClock.restore(BUCKET, GRACE, 610 * S, 480 * S, 610 * S + 60 * S);
        assertThat(restored.live()).isTrue();
        assertThat(restored.now(670 * S + GRACE + S)).isEqualTo(611 * S);
    }

    @Test
    void anotherAgentsClockDoesNotMoveThisOne() {
        AgentClock onTime = startedAt(610);
        AgentClock skewed = startedAt(610);
        skewed.observe(610 * S + 5 * 60 * S, WALL); // five minutes ahead
        assertThat(onTime.isLate(550 * S)).isFalse();
        assertThat(skewed.closeDue(skewed.now(WALL))).isTrue();
        assertThat(onTime.closeDue(onTime.now(WALL))).isFalse();
    }

    @Test
    void anEventOlderThanTheHighWaterByMoreThanTheLongestViewIsTooLate() {
        long day = 86_400 * S;
        AgentClock clock = startedAt(2 * 86_400);
        assertThat(clock.isTooLate(2 * day - day, day)).as("exactly the longest view behind").isFalse();
        assertThat(clock.isTooLate(2 * day - day - 1, day)).isTrue();
    }

    @Test
    void aRestoredClockCountsTheSilenceFromTheRestart() {
        AgentClock restored = AgentClock.restore(BUCKET, GRACE, 610 * S, 480 * S, WALL + 3_600 * S);
        assertThat(restored.now(WALL + 3_600 * S)).as("an hour of downtime is not an hour of silence").isEqualTo(610 * S);
        assertThat(restored.closedUpTo()).isEqualTo(480 * S);
    }
}
