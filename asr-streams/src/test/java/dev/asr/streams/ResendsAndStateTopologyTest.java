package dev.asr.streams;

import static dev.asr.event.OutcomeStatus.SUCCEEDED;
import static dev.asr.event.SpendKind.IDLE;
import static dev.asr.event.SpendKind.INFERENCE;
import static dev.asr.streams.TopologyFixture.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.streams.state.AsrStores;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** SPEC §6 v2: resends count once whatever time they carry; state stays bounded per record and is eventually removed. */
class ResendsAndStateTopologyTest {

    private TopologyFixture fx;

    @AfterEach
    void close() {
        if (fx != null) {
            fx.close();
        }
    }

    private static Instant at(int minutes, int seconds) {
        return T0.plus(Duration.ofMinutes(minutes)).plusSeconds(seconds);
    }

    @Test
    void aResendCarryingAnotherOccurredAtCountsOnce() throws Exception {
        fx = new TopologyFixture();
        SpendEvent idle = fx.spend(SpendEvent.newBuilder().setEventId("idle-1").setAgentId("agent-a").setFleet("support")
                .setKind(IDLE).setCostMicros(20_000).setOccurredAt(at(0, 15)).build());
        SpendEvent work = fx.spend(SpendEvent.newBuilder().setEventId("work-1").setAgentId("agent-a").setFleet("support")
                .setTaskId("t1").setKind(INFERENCE).setCostMicros(100_000).setOccurredAt(at(0, 10)).build());
        OutcomeEvent done = fx.outcome(OutcomeEvent.newBuilder().setEventId("done-1").setAgentId("agent-a").setFleet("support")
                .setTaskId("t1").setStatus(SUCCEEDED).setValueMicros(1_000).setOccurredAt(at(0, 30)).build());
        // The gateway stamps a missing occurred_at on arrival: a retried record differs in it.
        fx.spend(SpendEvent.newBuilder(idle).setOccurredAt(at(0, 50)).build());
        fx.spend(SpendEvent.newBuilder(work).setOccurredAt(at(0, 55)).build());
        fx.outcome(OutcomeEvent.newBuilder(done).setOccurredAt(at(0, 58)).build());
        fx.tick(at(3, 0));
        AgentWindowMetrics m = fx.metrics("agent-a", "1m", at(1, 0));
        assertThat(m.getSpendMicros()).isEqualTo(120_000);
        assertThat(m.getUnattributedSpendMicros()).isEqualTo(20_000);
        assertThat(m.getCashSpendMicros()).isEqualTo(120_000);
        assertThat(m.getActions()).isEqualTo(2);
        assertThat(m.getSettledTasks()).isEqualTo(1);
        assertThat(m.getValueMicros()).isEqualTo(1_000);
        assertThat(fx.counters.duplicates()).isEqualTo(3);
    }

    @Test
    void aResendAfterARestartStillCountsOnce() throws Exception {
        fx = new TopologyFixture(Map.of(), AsrStores.Storage.ROCKSDB);
        SpendEvent idle = fx.spend(SpendEvent.newBuilder().setEventId("idle-1").setAgentId("agent-a").setFleet("support")
                .setKind(IDLE).setCostMicros(20_000).setOccurredAt(at(0, 15)).build());
        fx.restartWith(Map.of());
        fx.spend(SpendEvent.newBuilder(idle).setOccurredAt(at(0, 40)).build());
        fx.tick(at(3, 0));
        assertThat(fx.metrics("agent-a", "1m", at(1, 0)).getSpendMicros()).isEqualTo(20_000);
        assertThat(fx.counters.duplicates()).isEqualTo(1);
    }

    /**
     * One task of a million spend events: no state or changelog record grows with it, and every
     * resend among them is still found (de-duplication stays exact).
     */
    @Test
    void aTaskWithAMillionSpendEventsKeepsEveryRecordSmallAndStaysExact() throws Exception {
        fx = new TopologyFixture();
        int events = 1_000_000;
        SpendEvent.Builder event = SpendEvent.newBuilder().setAgentId("agent-a").setFleet("support").setTaskId("marathon")
                .setKind(INFERENCE).setCostMicros(3).setInputTokens(10).setOutputTokens(1);
        int largestAfterTheFirstTenThousand = 0;
        int largest = 0;
        long changelogRecords = 0;
        for (int i = 0; i < events; i++) {
            fx.spend(event.setEventId("m-" + i).setOccurredAt(at(0, 0).plusMillis(i / 20)).build());
            if (i % 10_000 == 9_999) {
                for (String store : AsrStores.AGENT_STORES) {
                    for (TestRecord<byte[], byte[]> record : fx.changelog(store)) {
                        changelogRecords++;
                        largest = Math.max(largest, record.key().length + (record.value() == null ? 0 : record.value().length));
                    }
                }
                if (i == 9_999) {
                    largestAfterTheFirstTenThousand = largest;
                }
            }
        }
        assertThat(changelogRecords).as("one id per event, at least").isGreaterThanOrEqualTo(events);
        assertThat(largest).as("bytes of the largest changelog record after a million events, against after ten thousand")
                .isLessThanOrEqualTo(largestAfterTheFirstTenThousand + 4).isLessThan(512);

        KeyValueStore<Bytes, byte[]> tasks = fx.keyValueStore(AsrStores.OPEN_TASKS);
        try (KeyValueIterator<Bytes, byte[]> all = tasks.all()) {
            KeyValue<Bytes, byte[]> task = all.next();
            assertThat(task.value.length).as("the open task's record after a million events").isLessThan(64);
            assertThat(all.hasNext()).isFalse();
        }

        fx.spend(event.setEventId("m-0").setOccurredAt(at(0, 59)).build());
        fx.spend(event.setEventId("m-999999").setOccurredAt(at(0, 59)).build());
        fx.spend(event.setEventId("m-1000000").setOccurredAt(at(0, 59)).build());
        assertThat(fx.counters.duplicates()).as("the first and the last of the million, resent").isEqualTo(2);
        fx.outcome("agent-a", "marathon", SUCCEEDED, 0, 0, at(0, 59));
        fx.tick(at(3, 0));
        AgentWindowMetrics m = fx.metrics("agent-a", "1m", at(1, 0));
        assertThat(m.getActions()).isEqualTo(events + 1);
        assertThat(m.getSpendMicros()).isEqualTo(3L * (events + 1));
        assertThat(m.getInputTokens()).isEqualTo(10L * (events + 1));
    }

    @Test
    void aQuietAgentAndEverythingItHeldIsForgotten() throws Exception {
        fx = new TopologyFixture(Map.of("asr.views", "5m", "asr.band.view", "5m", "asr.task.timeout", "10m"));
        fx.task("agent-a", "t1", 2, 100_000, SUCCEEDED, 0, 0, at(0, 1));
        fx.spend("agent-a", "t2", INFERENCE, 5_000, at(0, 30)); // times out at T0+10m30s
        fx.tick(at(30, 0));
        assertThat(fx.counters.timedOut()).isEqualTo(1);
        for (String store : List.of(AsrStores.AGENTS, AsrStores.OPEN_TASKS, AsrStores.BUCKETS)) {
            KeyValueStore<Bytes, byte[]> kv = fx.keyValueStore(store);
            try (KeyValueIterator<Bytes, byte[]> all = kv.all()) {
                assertThat(all.hasNext()).as("%s holds nothing of a forgotten agent", store).isFalse();
            }
        }
    }
}
