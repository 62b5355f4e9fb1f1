package dev.asr.streams;

import static dev.asr.event.OutcomeStatus.FAILED;
import static dev.asr.event.OutcomeStatus.SUCCEEDED;
import static dev.asr.streams.TopologyFixture.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.streams.state.AsrStores;
import dev.asr.streams.state.StoreKeys;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.junit.jupiter.api.Test;

/**
 * Changing {@code asr.views} and restarting: the views are summed again from the buckets, so the
 * rows equal a fresh run's over the same input with the new views, and buckets no view reaches any
 * more are deleted.
 */
class ViewsChangeTopologyTest {

    private static final Map<String, String> BEFORE = Map.of();
    private static final Map<String, String> AFTER = Map.of("asr.views", "1m,15m", "asr.band.view", "15m");

    private static Instant at(int minutes, int seconds) {
        return T0.plus(Duration.ofMinutes(minutes)).plusSeconds(seconds);
    }

    /** An agent working through minutes [from, to): each minute two tasks, the second failing every third minute. */
    private static void minutes(TopologyFixture fx, int from, int to) {
        for (int minute = from; minute < to; minute++) {
            fx.wallAtLeast(at(minute, 0));
            fx.task("agent-a", "m" + minute + "a", 2, 10_000 + minute, SUCCEEDED, 50_000, 0, at(minute, 1));
            fx.task("agent-a", "m" + minute + "b", 1, 30_000, minute % 3 == 0 ? FAILED : SUCCEEDED, 0, 0, at(minute, 30));
        }
    }

    private static List<String> rowsEndingAfter(TopologyFixture fx, Instant after) {
        return fx.allMetrics().stream().filter(m -> m.getWindowEnd().isAfter(after)).map(ViewsChangeTopologyTest::describe).toList();
    }

    private static String describe(AgentWindowMetrics m) {
        return (m.getAgentId() == null ? "fleet:" + m.getFleet() : m.getAgentId()) + " " + m.getWindow() + "@" + m.getWindowEnd() + " "
                + dev.asr.streams.figures.Basket.figures(m) + " open=" + m.getOpenSpendMicros() + " band=" + m.getBand() + " agents="
                + m.getAgents();
    }

    private static void run(TopologyFixture fx, Consumer<TopologyFixture> restart) {
        minutes(fx, 0, 30);
        fx.tick(at(33, 0));
        restart.accept(fx);
        minutes(fx, 33, 45);
        fx.tick(at(48, 0));
    }

    @Test
    void changedViewsAfterARestartGiveTheRowsOfAFreshRunWithThoseViewsAndDropBucketsNoViewReaches() throws Exception {
        List<String> fresh;
        try (TopologyFixture fx = new TopologyFixture(AFTER, AsrStores.Storage.ROCKSDB)) {
            run(fx, f -> { });
            fresh = rowsEndingAfter(fx, at(31, 0));
        }
        try (TopologyFixture fx = new TopologyFixture(BEFORE, AsrStores.Storage.ROCKSDB)) {
            run(fx, f -> {
                try {
                    assertThat(bucketStarts(f)).as("the 24h view keeps every minute").hasSize(30);
                    f.restartWith(AFTER);
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertThat(rowsEndingAfter(fx, at(31, 0))).isEqualTo(fresh).isNotEmpty();
            List<Long> starts = bucketStarts(fx);
            assertThat(starts).isNotEmpty();
            assertThat(starts).as("no bucket older than the longest view (15m) before the earliest open one")
                    .allSatisfy(start -> assertThat(start).isGreaterThanOrEqualTo(at(46, 0).minus(Duration.ofMinutes(15)).toEpochMilli()));
        }
    }

    private static List<Long> bucketStarts(TopologyFixture fx) {
        List<Long> starts = new java.util.ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> all = fx.keyValueStore(AsrStores.BUCKETS).all()) {
            while (all.hasNext()) {
                KeyValue<Bytes, byte[]> entry = all.next();
                starts.add(StoreKeys.bucketStartOf(entry.key.get()));
            }
        }
        return starts;
    }
}
