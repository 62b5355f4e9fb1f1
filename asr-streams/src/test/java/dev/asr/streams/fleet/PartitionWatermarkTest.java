package dev.asr.streams.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How far an input partition has written its agents' windows; minutes, with 10 minutes of max wait and 1 of quiet time. */
class PartitionWatermarkTest {

    private static final long M = 60_000;
    /** The wall time the partition starts at. */
    private static final long WALL = 1_000 * M;
    private final PartitionWatermark watermark = new PartitionWatermark(10 * M, M, WALL);

    @Test
    void aPartitionThatStartsWithoutAgentsSaysSoOnlyOnceTheQuietTimeHasPassed() {
        assertThat(watermark.value(WALL)).as("its task may not have read its first record yet").isEqualTo(PartitionWatermark.UNKNOWN);
        assertThat(watermark.value(WALL + M - 1)).isEqualTo(PartitionWatermark.UNKNOWN);
        assertThat(watermark.value(WALL + M)).isEqualTo(PartitionWatermark.EMPTY);
    }

    @Test
    void anAgentsFirstEventEndsTheWaitAndAPartitionItsLastAgentLeftIsEmptyAtOnce() {
        watermark.add(5 * M);
        assertThat(watermark.value(WALL)).isEqualTo(5 * M);
        watermark.remove(5 * M);
        assertThat(watermark.value(WALL)).isEqualTo(PartitionWatermark.EMPTY);
    }

    @Test
    void itIsTheEarliestAgentsClosedUpTo() {
        watermark.add(5 * M);
        watermark.add(7 * M);
        watermark.add(5 * M);
        assertThat(watermark.value(WALL)).isEqualTo(5 * M);
        watermark.move(5 * M, 6 * M);
        assertThat(watermark.value(WALL)).as("another agent is still at 5").isEqualTo(5 * M);
        watermark.move(5 * M, 7 * M);
        assertThat(watermark.value(WALL)).isEqualTo(6 * M);
        watermark.remove(6 * M);
        assertThat(watermark.value(WALL)).isEqualTo(7 * M);
    }

    @Test
    void anAgentLaggingMoreThanTheMaxWaitBehindTheMostAdvancedDoesNotHoldItBack() {
        watermark.add(2 * M);
        watermark.add(12 * M);
        assertThat(watermark.value(WALL)).as("exactly the max wait behind").isEqualTo(2 * M);
        watermark.move(12 * M, 15 * M);
        assertThat(watermark.value(WALL)).isEqualTo(5 * M);
    }

    @Test
    void anAgentAheadByLessThanTheMaxWaitDoesNotMoveIt() {
        watermark.add(20 * M);
        watermark.add(26 * M); // stamps its events ahead (asr.max-clock-skew)
        assertThat(watermark.value(WALL)).isEqualTo(20 * M);
    }
}
