package dev.asr.streams.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How far an input partition has written its agents' windows; minutes, with 10 minutes of max wait. */
class PartitionWatermarkTest {

    private static final long M = 60_000;
    private final PartitionWatermark watermark = new PartitionWatermark(10 * M);

    @Test
    void aPartitionWithNoAgentIsEmpty() {
        assertThat(watermark.value()).isEqualTo(PartitionWatermark.EMPTY);
    }

    @Test
    void itIsTheEarliestAgentsClosedUpTo() {
        watermark.add(5 * M);
        watermark.add(7 * M);
        watermark.add(5 * M);
        assertThat(watermark.value()).isEqualTo(5 * M);
        watermark.move(5 * M, 6 * M);
        assertThat(watermark.value()).as("another agent is still at 5").isEqualTo(5 * M);
        watermark.move(5 * M, 7 * M);
        assertThat(watermark.value()).isEqualTo(6 * M);
        watermark.remove(6 * M);
        assertThat(watermark.value()).isEqualTo(7 * M);
    }

    @Test
    void anAgentLaggingMoreThanTheMaxWaitBehindTheMostAdvancedDoesNotHoldItBack() {
        watermark.add(2 * M);
        watermark.add(12 * M);
        assertThat(watermark.value()).as("exactly the max wait behind").isEqualTo(2 * M);
        watermark.move(12 * M, 15 * M);
        assertThat(watermark.value()).isEqualTo(5 * M);
    }

    @Test
    void anAgentAheadByLessThanTheMaxWaitDoesNotMoveIt() {
        watermark.add(20 * M);
        watermark.add(26 * M); // stamps its events ahead (asr.max-clock-skew)
        assertThat(watermark.value()).isEqualTo(20 * M);
    }
}
