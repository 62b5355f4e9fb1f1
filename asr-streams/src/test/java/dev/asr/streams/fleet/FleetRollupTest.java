package dev.asr.streams.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;

/** The fleet roll-up: one row per fleet window once every input partition has passed it; corrections for what comes later. */
class FleetRollupTest {

    private static final long M = 60_000;
    private static final long KEEP = 60 * M;

    private final InMemoryWindows windows = new InMemoryWindows();
    private final FleetRollup rollup = new FleetRollup(windows, KEEP, new Long[0], Long.MIN_VALUE);

    static final class InMemoryWindows implements FleetRollup.Windows {
        final TreeMap<String, Map.Entry<FleetRollup.WindowKey, FleetRollup.Accumulated>> byKey = new TreeMap<>();

        private static String sortable(FleetRollup.WindowKey key) {
            return String.format("%020d|%s|%s", key.endMs(), key.view(), key.fleet());
        }

        @Override
        public FleetRollup.Accumulated get(FleetRollup.WindowKey key) {
            var entry = byKey.get(sortable(key));
            return entry == null ? null : entry.getValue();
        }

        @Override
        public void put(FleetRollup.WindowKey key, FleetRollup.Accumulated window) {
            byKey.put(sortable(key), Map.entry(key, window));
        }

        @Override
        public void forEachEnding(long after, long upTo, BiConsumer<FleetRollup.WindowKey, FleetRollup.Accumulated> action) {
            byKey.values().stream().filter(e -> e.getKey().endMs() > after && e.getKey().endMs() <= upTo).toList()
                    .forEach(e -> action.accept(e.getKey(), e.getValue()));
        }

        @Override
        public void deleteEndingBefore(long end) {
            byKey.values().removeIf(e -> e.getKey().endMs() < end);
        }
    }

    private static FleetInput.Contribution agentWindow(String fleet, long endMinute, long spend) {
        Figures sums = new Figures();
        sums.add(Figure.SPEND, spend);
        sums.add(Figure.SETTLED_TASKS, 1);
        return new FleetInput.Contribution(fleet, "5m", (endMinute - 5) * M, endMinute * M, sums, 10, endMinute * M - 1);
    }

    private static FleetInput.Watermark partition(int p, long upToMinute) {
        return new FleetInput.Watermark(p, 2, upToMinute * M);
    }

    @Test
    void aFleetWindowIsWrittenOnceWhenEveryInputPartitionHasPassedIt() {
        assertThat(rollup.onContribution(agentWindow("support", 1, 100))).isEmpty();
        assertThat(rollup.onContribution(agentWindow("support", 1, 200))).isEmpty();
        assertThat(rollup.onWatermark(partition(0, 1))).as("partition 1 has not said anything yet").isEmpty();
        assertThat(rollup.onContribution(agentWindow("support", 1, 300))).isEmpty();
        List<FleetRollup.Row> rows = rollup.onWatermark(partition(1, 1));
        assertThat(rows).singleElement().satisfies(row -> {
            assertThat(row.key()).isEqualTo(new FleetRollup.WindowKey(M, "5m", "support"));
            assertThat(row.window().sums.get(Figure.SPEND)).isEqualTo(600);
            assertThat(row.window().agents).isEqualTo(3);
            assertThat(row.window().openSpend).isEqualTo(30);
            assertThat(row.window().lastEventAt).isEqualTo(M - 1);
            assertThat(row.window().startMs).isEqualTo(-4 * M);
        });
        assertThat(rollup.onWatermark(partition(0, 1))).as("written once").isEmpty();
        assertThat(rollup.writtenUpTo()).isEqualTo(M);
    }

    @Test
    void windowsAreWrittenInOrderOfTheirEndUpToTheEarliestPartition() {
        for (long end = 1; end <= 4; end++) {
            rollup.onContribution(agentWindow("support", end, end));
            rollup.onContribution(agentWindow("sales", end, end));
        }
        rollup.onWatermark(partition(0, 3));
        List<FleetRollup.Row> rows = rollup.onWatermark(partition(1, 4));
        assertThat(rows).extracting(row -> row.key().endMs() / M).containsExactly(1L, 1L, 2L, 2L, 3L, 3L);
    }

    @Test
    void anAgentsWindowThatComesAfterItsFleetWindowWasWrittenWritesItAgainCorrected() {
        rollup.onContribution(agentWindow("support", 1, 100));
        rollup.onWatermark(partition(0, 1));
        rollup.onWatermark(partition(1, 1));
        List<FleetRollup.Row> correction = rollup.onContribution(agentWindow("support", 1, 50)); // an agent new to its partition
        assertThat(correction).singleElement().satisfies(row -> {
            assertThat(row.window().sums.get(Figure.SPEND)).isEqualTo(150);
            assertThat(row.window().agents).isEqualTo(2);
        });
    }

    @Test
    void aPartitionWithNoAgentHoldsNothingBack() {
        rollup.onContribution(agentWindow("support", 1, 100));
        rollup.onWatermark(partition(0, 2));
        assertThat(rollup.onWatermark(new FleetInput.Watermark(1, 2, PartitionWatermark.EMPTY))).hasSize(1);
    }

    @Test
    void anAgentsWindowOlderThanTheWindowsKeptIsDroppedAndCounted() {
        rollup.onWatermark(partition(0, 120));
        rollup.onWatermark(partition(1, 120));
        assertThat(rollup.onContribution(agentWindow("support", 59, 100))).isEmpty();
        assertThat(rollup.dropped()).isEqualTo(1);
        assertThat(rollup.onContribution(agentWindow("support", 60, 100))).as("exactly as old as kept").hasSize(1);
    }

    @Test
    void writtenWindowsAreForgottenOnceOlderThanTheKeptSpan() {
        rollup.onContribution(agentWindow("support", 1, 100));
        rollup.onWatermark(partition(0, 1));
        rollup.onWatermark(partition(1, 1));
        assertThat(windows.byKey).hasSize(1);
        rollup.onWatermark(partition(0, 62));
        rollup.onWatermark(partition(1, 62));
        assertThat(windows.byKey).isEmpty();
    }

    @Test
    void progressSurvivesARestart() {
        rollup.onContribution(agentWindow("support", 1, 100));
        rollup.onWatermark(partition(0, 1));
        FleetRollup restarted = new FleetRollup(windows, KEEP, rollup.sources(), rollup.writtenUpTo());
        assertThat(restarted.onWatermark(partition(1, 1))).hasSize(1);
    }
}
