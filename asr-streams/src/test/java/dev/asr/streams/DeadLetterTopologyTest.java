package dev.asr.streams;

import static dev.asr.streams.TopologyFixture.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.streams.processor.DeadLetters;
import dev.asr.schemas.rules.Rejection;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** SPEC §6: every class of bad input goes to the dead-letter topic, as it came, with headers saying why; the rest carries on. */
class DeadLetterTopologyTest {

    private TopologyFixture fx;

    @BeforeEach
    void start() throws Exception {
        fx = new TopologyFixture();
    }

    @AfterEach
    void close() {
        fx.close();
    }

    private SpendEvent.Builder spend() {
        return SpendEvent.newBuilder().setEventId("e-1").setAgentId("agent-a").setFleet("support").setTaskId("t1")
                .setKind(SpendKind.INFERENCE).setCostMicros(100).setOccurredAt(T0);
    }

    private OutcomeEvent.Builder outcome() {
        return OutcomeEvent.newBuilder().setEventId("o-1").setAgentId("agent-a").setFleet("support").setTaskId("t1")
                .setStatus(OutcomeStatus.SUCCEEDED).setOccurredAt(T0);
    }

    private byte[] encode(SpendEvent event) {
        return fx.topics.spend().valueSerde().serializer().serialize(fx.topics.spend().name(), event);
    }

    private byte[] encode(OutcomeEvent event) {
        return fx.topics.outcomes().valueSerde().serializer().serialize(fx.topics.outcomes().name(), event);
    }

    private static byte[] key(String agent) {
        return agent.getBytes(StandardCharsets.UTF_8);
    }

    private TestRecord<byte[], byte[]> only() {
        List<TestRecord<byte[], byte[]>> dead = fx.deadLetters();
        assertThat(dead).hasSize(1);
        return dead.get(0);
    }

    private void assertDeadLetter(byte[] key, byte[] value, Rejection reason, String errorContains, String topic) {
        TestRecord<byte[], byte[]> dead = only();
        assertThat(dead.key()).isEqualTo(key);
        assertThat(dead.value()).as("the original bytes").isEqualTo(value);
        assertThat(TopologyFixture.header(dead, DeadLetters.REASON)).isEqualTo(reason.code());
        assertThat(TopologyFixture.header(dead, DeadLetters.ERROR)).contains(errorContains);
        assertThat(TopologyFixture.header(dead, DeadLetters.SOURCE_TOPIC)).isEqualTo(topic);
        assertThat(TopologyFixture.header(dead, DeadLetters.SOURCE_PARTITION)).isEqualTo("0");
        assertThat(TopologyFixture.header(dead, DeadLetters.SOURCE_OFFSET)).matches("\\d+");
        assertThat(fx.counters.deadLetters(reason)).isEqualTo(1);
        assertThat(fx.counters.processed()).as("dead letters are not processed events").isZero();
    }

    @Test
    void recordsThatAreNotAvroInTheWireFormat() {
        byte[] json = "{\"event_id\": \"e-1\"}".getBytes(StandardCharsets.UTF_8);
        fx.rawSpend(key("agent-a"), json, T0);
        assertDeadLetter(key("agent-a"), json, Rejection.NOT_WIRE_FORMAT, "starts with byte 0x7b", fx.topics.spend().name());
    }

    @Test
    void truncatedAvro() {
        byte[] whole = encode(spend().build());
        byte[] cut = Arrays.copyOf(whole, whole.length - 4);
        fx.rawSpend(key("agent-a"), cut, T0);
        assertDeadLetter(key("agent-a"), cut, Rejection.TRUNCATED, "ends early", fx.topics.spend().name());
    }

    @Test
    void unknownSchemaId() {
        byte[] bytes = encode(spend().build());
        bytes[1] = 0x7f; // a schema id the registry never gave out
        fx.rawSpend(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.UNKNOWN_SCHEMA_ID, "does not have", fx.topics.spend().name());
    }

    @Test
    void negativeCost() {
        byte[] bytes = encode(spend().setCostMicros(-5).build());
        fx.rawSpend(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.NEGATIVE_AMOUNT, "cost_micros is -5; it must be >= 0", fx.topics.spend().name());
    }

    @Test
    void negativeValueAndInterventions() {
        byte[] bytes = encode(outcome().setValueMicros(-1).build());
        fx.rawOutcome(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.NEGATIVE_AMOUNT, "value_micros is -1", fx.topics.outcomes().name());
    }

    @Test
    void missingIds() {
        byte[] bytes = encode(spend().setEventId("").build());
        fx.rawSpend(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.MISSING_FIELD, "event_id is blank", fx.topics.spend().name());
    }

    @Test
    void anOutcomeWithoutATask() {
        byte[] bytes = encode(outcome().setTaskId(" ").build());
        fx.rawOutcome(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.MISSING_FIELD, "an outcome must name the task it settles",
                fx.topics.outcomes().name());
    }

    @Test
    void aTimestampTooFarInTheFuture() {
        Instant wallClock = T0.plus(Duration.ofHours(1)); // the fixture's wall clock
        byte[] bytes = encode(spend().setOccurredAt(wallClock.plus(Duration.ofMinutes(6))).build());
        fx.rawSpend(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.FUTURE_TIMESTAMP, "more than 5m (asr.max-clock-skew) ahead",
                fx.topics.spend().name());
    }

    @Test
    void anotherCurrency() {
        byte[] bytes = encode(spend().setCurrency("EUR").build());
        fx.rawSpend(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.CURRENCY_MISMATCH, "currency is 'EUR' but this deployment counts in USD",
                fx.topics.spend().name());
    }

    @Test
    void aKeyThatIsNotTheAgent() {
        byte[] bytes = encode(spend().build());
        fx.rawSpend(key("someone-else"), bytes, T0);
        assertDeadLetter(key("someone-else"), bytes, Rejection.KEY_MISMATCH, "record key is 'someone-else' but agent_id is 'agent-a'",
                fx.topics.spend().name());
        fx.rawSpend(null, bytes, T0);
        assertThat(TopologyFixture.header(only(), DeadLetters.ERROR)).contains("record key is null");
    }

    @Test
    void aControlCharacterInAnAgentId() {
        byte[] bytes = encode(spend().setAgentId("agent\u0000a").build());
        fx.rawSpend(key("agent\u0000a"), bytes, T0);
        assertDeadLetter(key("agent\u0000a"), bytes, Rejection.INVALID_ID, "agent_id holds the control character U+0000 at position 5",
                fx.topics.spend().name());
    }

    @Test
    void anIdLongerThan256Characters() {
        byte[] bytes = encode(outcome().setTaskId("t".repeat(257)).build());
        fx.rawOutcome(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.INVALID_ID, "task_id is 257 characters long", fx.topics.outcomes().name());
    }

    @Test
    void aCostAboveTheBound() {
        byte[] bytes = encode(spend().setCostMicros(1_000_000_000_000_001L).build());
        fx.rawSpend(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.OUT_OF_RANGE,
                "cost_micros is 1000000000000001; it must be at most 1000000000000000 (a billion currency units)", fx.topics.spend().name());
    }

    @Test
    void moreHumanInterventionsThanTheBound() {
        byte[] bytes = encode(outcome().setHumanInterventions(1_000_001).build());
        fx.rawOutcome(key("agent-a"), bytes, T0);
        assertDeadLetter(key("agent-a"), bytes, Rejection.OUT_OF_RANGE, "human_interventions is 1000001", fx.topics.outcomes().name());
    }

    @Test
    void sumsOfEventsAtTheBoundStayAtTheRangeOfALongInsteadOfWrappingRound() {
        SpendEvent.Builder huge = spend().setTaskId(null).setKind(SpendKind.TRANSACTION).setCostMicros(1_000_000_000_000_000L);
        for (int i = 0; i < 9_300; i++) { // 9.3e18 micros > Long.MAX_VALUE
            fx.spend(huge.setEventId("huge-" + i).setOccurredAt(T0.plusMillis(i)).build());
        }
        fx.tick(T0.plus(Duration.ofMinutes(3)));
        assertThat(fx.metrics("agent-a", "1m", T0.plus(Duration.ofMinutes(1))).getSpendMicros()).isEqualTo(Long.MAX_VALUE);
        assertThat(fx.counters.saturated()).isPositive();
        assertThat(fx.counters.deadLetters()).isZero();
    }

    @Test
    void aTombstone() {
        fx.rawOutcome(key("agent-a"), null, T0);
        assertDeadLetter(key("agent-a"), null, Rejection.MISSING_VALUE, "no value", fx.topics.outcomes().name());
    }

    @Test
    void processingGoesOnAfterABadRecord() {
        fx.rawSpend(key("agent-a"), "garbage".getBytes(StandardCharsets.UTF_8), T0);
        fx.spend(spend().build());
        fx.outcome(outcome().build());
        fx.tick(T0.plus(Duration.ofMinutes(3)));
        assertThat(fx.metrics("agent-a", "5m", T0.plus(Duration.ofMinutes(1))).getSpendMicros()).isEqualTo(100);
        assertThat(fx.counters.deadLetters()).isEqualTo(1);
        assertThat(fx.counters.processed()).isEqualTo(2);
    }
}
