package dev.asr.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.Direction;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.SampleEvents;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.registry.InMemorySchemaRegistry;
import dev.asr.schemas.registry.SchemaRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AvroSerdeTest {

    private static final String TOPIC = "asr.spend.v1";

    /*
     * Golden vectors: the exact bytes of SampleEvents.spend() and .outcome() under schema id 42.
     * Computed independently with the Python avro library (python3-avro 1.11) from
     * schema-history/<Record>/v<N>.avsc (SpendEvent v2, OutcomeEvent v1), and by hand: 00 magic,
     * 0000002a id, then zigzag varints and length-prefixed UTF-8 in field order. SpendEvent v2 ends
     * with authorization_id's union branch: 00 for null.
     */
    static final String SPEND_GOLDEN =
            "000000002a06652d3106612d3102660206742d3102b81706555344000000020c73656172636880a0d5edee660000";
    /** The same spend as SpendEvent v1 wrote it: what producers of the first schema still send. */
    static final String SPEND_GOLDEN_V1 =
            "000000002a06652d3106612d3102660206742d3102b81706555344000000020c73656172636880a0d5edee6600";
    /** SampleEvents.spend() with authorization_id "au-1", under v2. */
    static final String SPEND_GOLDEN_AUTHORIZED =
            "000000002a06652d3106612d3102660206742d3102b81706555344000000020c73656172636880a0d5edee6600020861752d31";
    static final String OUTCOME_GOLDEN =
            "000000002a066f2d3106612d31026606742d31008092f40100c0c9dcedee66020c726567696f6e04657500";

    private final SchemaRegistry fixedId = new InMemorySchemaRegistry(42);
    private final AvroSerde<SpendEvent> spendSerde = AvroSerde.forValues(SpendEvent.class, fixedId);

    @Test
    void encodesAKnownSpendEventToTheGoldenBytes() {
        assertThat(HexFormat.of().formatHex(spendSerde.encode(TOPIC, SampleEvents.spend()))).isEqualTo(SPEND_GOLDEN);
    }

    @Test
    void encodesAKnownOutcomeEventToTheGoldenBytes() {
        AvroSerde<OutcomeEvent> serde = AvroSerde.forValues(OutcomeEvent.class, fixedId);
        assertThat(HexFormat.of().formatHex(serde.encode("asr.outcomes.v1", SampleEvents.outcome()))).isEqualTo(OUTCOME_GOLDEN);
    }

    @Test
    void encodesAnAuthorizedSpendAndReadsTheFirstSchemasBytesAsTheSameEventWithoutOne() throws Exception {
        SpendEvent authorized = SpendEvent.newBuilder(SampleEvents.spend()).setAuthorizationId("au-1").build();
        assertThat(HexFormat.of().formatHex(spendSerde.encode(TOPIC, authorized))).isEqualTo(SPEND_GOLDEN_AUTHORIZED);
        InMemorySchemaRegistry v1Registry = new InMemorySchemaRegistry(42);
        v1Registry.register(TOPIC + "-value", new org.apache.avro.Schema.Parser().parse(
                java.nio.file.Files.readString(java.nio.file.Path.of("schema-history", "SpendEvent", "v1.avsc"))));
        assertThat(AvroSerde.forValues(SpendEvent.class, v1Registry).decode(TOPIC, HexFormat.of().parseHex(SPEND_GOLDEN_V1)))
                .isEqualTo(SampleEvents.spend());
    }

    @Test
    void decodesTheGoldenBytesToTheKnownRecords() {
        spendSerde.encode(TOPIC, SampleEvents.spend()); // registers the schema under id 42
        assertThat(spendSerde.decode(TOPIC, HexFormat.of().parseHex(SPEND_GOLDEN))).isEqualTo(SampleEvents.spend());
        AvroSerde<OutcomeEvent> serde = AvroSerde.forValues(OutcomeEvent.class, new InMemorySchemaRegistry(42));
        serde.encode("asr.outcomes.v1", SampleEvents.outcome());
        assertThat(serde.decode("asr.outcomes.v1", HexFormat.of().parseHex(OUTCOME_GOLDEN))).isEqualTo(SampleEvents.outcome());
    }

    @Test
    void roundTripsEveryRecordTypeThroughTheEmbeddedRegistry(@TempDir Path directory) {
        SchemaRegistry registry = new EmbeddedSchemaRegistry(directory);
        for (int i = 0; i < 50; i++) {
            AvroSerde<SpendEvent> spend = AvroSerde.forValues(SpendEvent.class, registry);
            assertThat(spend.decode(TOPIC, spend.encode(TOPIC, SampleEvents.spend(i)))).isEqualTo(SampleEvents.spend(i));
            AvroSerde<OutcomeEvent> outcome = AvroSerde.forValues(OutcomeEvent.class, registry);
            assertThat(outcome.decode("o", outcome.encode("o", SampleEvents.outcome(i)))).isEqualTo(SampleEvents.outcome(i));
        }
        AgentWindowMetrics metrics = AgentWindowMetrics.newBuilder()
                .setAgentId("a-1").setFleet("f").setWindow("1h")
                .setWindowStart(Instant.parse("2026-01-01T00:00:00Z")).setWindowEnd(Instant.parse("2026-01-01T01:00:00Z"))
                .setBand(Band.ASSISTED).setAgents(1).setSpendMicros(1_000_000).setAutonomousSpendMicros(400_000)
                .setAsr(0.4).setWinRate(null)
                .build();
        AvroSerde<AgentWindowMetrics> metricsSerde = AvroSerde.forValues(AgentWindowMetrics.class, registry);
        assertThat(metricsSerde.decode("m", metricsSerde.encode("m", metrics))).isEqualTo(metrics);
        BandTransition transition = BandTransition.newBuilder()
                .setTransitionId("a-1@1767229200000").setAgentId("a-1").setFleet("f")
                .setFromBand(Band.SELF_DIRECTED).setToBand(Band.ASSISTED).setDirection(Direction.DOWN)
                .setAsr(0.5).setSettledTasks(12).setSpendMicros(1_000_000).setAutonomousSpendMicros(500_000)
                .setWindow("1h").setWindowStart(Instant.parse("2026-01-01T00:00:00Z"))
                .setWindowEnd(Instant.parse("2026-01-01T01:00:00Z")).setOccurredAt(Instant.parse("2026-01-01T01:00:00Z"))
                .build();
        AvroSerde<BandTransition> transitionSerde = AvroSerde.forValues(BandTransition.class, registry);
        assertThat(transitionSerde.decode("t", transitionSerde.encode("t", transition))).isEqualTo(transition);
    }

    @Test
    void passesNullThroughForTombstones() {
        assertThat(spendSerde.encode(TOPIC, null)).isNull();
        assertThat(spendSerde.decode(TOPIC, null)).isNull();
    }

    @Test
    void namesTheTopicAndTheRegistryWhenTheSchemaIdIsUnknown() {
        byte[] bytes = HexFormat.of().parseHex(SPEND_GOLDEN);
        AvroSerde<SpendEvent> reader = AvroSerde.forValues(SpendEvent.class, new InMemorySchemaRegistry(7));
        assertThatThrownBy(() -> reader.decode(TOPIC, bytes))
                .isInstanceOf(BadRecordException.class)
                .hasMessage("record on topic 'asr.spend.v1' names schema id 42, which in-memory test registry does not have:"
                        + " it was written against another registry, or the registry lost its data."
                        + " Point the consumer at the registry its producer used")
                .extracting(e -> ((BadRecordException) e).reason()).isEqualTo(BadRecordException.Reason.UNKNOWN_SCHEMA_ID);
    }

    @Test
    void saysTheMagicByteIsWrongAndThatTheRecordLooksLikeJson() {
        byte[] json = "{\"event_id\":\"e-1\"}".getBytes();
        assertThatThrownBy(() -> spendSerde.decode(TOPIC, json))
                .isInstanceOf(BadRecordException.class)
                .hasMessageStartingWith("record on topic 'asr.spend.v1' starts with byte 0x7b, not the magic byte 0x00"
                        + " of the Confluent wire format (it looks like text: JSON or a plain string serializer?)")
                .hasMessageNotContaining("org.apache.avro")
                .extracting(e -> ((BadRecordException) e).reason()).isEqualTo(BadRecordException.Reason.NOT_WIRE_FORMAT);
    }

    @Test
    void saysARecordShorterThanTheHeaderIsTruncated() {
        assertThatThrownBy(() -> spendSerde.decode(TOPIC, new byte[] {0, 0, 0}))
                .isInstanceOf(BadRecordException.class)
                .hasMessage("record on topic 'asr.spend.v1' is 3 bytes; the Confluent wire format needs at least 5"
                        + " (magic byte 0 and a 4-byte schema id) before the Avro body")
                .extracting(e -> ((BadRecordException) e).reason()).isEqualTo(BadRecordException.Reason.TRUNCATED);
    }

    @Test
    void saysAnAvroBodyCutShortIsTruncatedAtEveryCut() {
        byte[] whole = spendSerde.encode(TOPIC, SampleEvents.spend());
        for (int length = 5; length < whole.length; length++) {
            byte[] cut = Arrays.copyOf(whole, length);
            assertThatThrownBy(() -> spendSerde.decode(TOPIC, cut))
                    .as("cut at %d of %d bytes", length, whole.length)
                    .isInstanceOf(BadRecordException.class)
                    .hasMessageContaining("record on topic 'asr.spend.v1'")
                    .hasMessageContaining("schema id 42 (dev.asr.event.SpendEvent)");
        }
        byte[] cut = Arrays.copyOf(whole, whole.length - 3);
        assertThatThrownBy(() -> spendSerde.decode(TOPIC, cut))
                .hasMessageStartingWith("record on topic 'asr.spend.v1' ends early: its " + (whole.length - 8)
                        + "-byte Avro body is too short for schema id 42 (dev.asr.event.SpendEvent)")
                .extracting(e -> ((BadRecordException) e).reason()).isEqualTo(BadRecordException.Reason.TRUNCATED);
    }

    @Test
    void saysBytesLeftOverMeanAnotherSchema() {
        byte[] whole = spendSerde.encode(TOPIC, SampleEvents.spend());
        byte[] longer = Arrays.copyOf(whole, whole.length + 2);
        assertThatThrownBy(() -> spendSerde.decode(TOPIC, longer))
                .isInstanceOf(BadRecordException.class)
                .hasMessageContaining("has bytes left after its SpendEvent (schema id 42)")
                .extracting(e -> ((BadRecordException) e).reason()).isEqualTo(BadRecordException.Reason.MALFORMED);
    }

    @Test
    void refusesAGarbledLengthWithoutAllocatingIt() {
        byte[] whole = spendSerde.encode(TOPIC, SampleEvents.spend());
        byte[] garbled = whole.clone();
        // event_id's length prefix claims about 1 GiB.
        byte[] huge = {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x08};
        byte[] withHugeLength = new byte[garbled.length + huge.length - 1];
        System.arraycopy(garbled, 0, withHugeLength, 0, 5);
        System.arraycopy(huge, 0, withHugeLength, 5, huge.length);
        System.arraycopy(garbled, 6, withHugeLength, 5 + huge.length, garbled.length - 6);
        assertThatThrownBy(() -> spendSerde.decode(TOPIC, withHugeLength))
                .isInstanceOf(BadRecordException.class)
                .hasMessageContaining("schema id 42");
    }

    @Test
    void saysWhenTheWriterSchemaCannotBeReadAsTheExpectedRecord() throws Exception {
        Schema other = SchemaBuilder.record("Invoice").namespace("acme").fields().requiredDouble("amount").endRecord();
        SchemaRegistry registry = new InMemorySchemaRegistry(9);
        registry.register("asr.spend.v1-value", other);
        GenericRecord invoice = new GenericData.Record(other);
        invoice.put("amount", 12.5);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(new byte[] {0, 0, 0, 0, 9});
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(other).write(invoice, encoder);
        encoder.flush();

        AvroSerde<SpendEvent> reader = AvroSerde.forValues(SpendEvent.class, registry);
        assertThatThrownBy(() -> reader.decode(TOPIC, out.toByteArray()))
                .isInstanceOf(BadRecordException.class)
                .hasMessageStartingWith("record on topic 'asr.spend.v1' was written with schema id 9 (acme.Invoice),"
                        + " which cannot be read as dev.asr.event.SpendEvent:")
                .extracting(e -> ((BadRecordException) e).reason()).isEqualTo(BadRecordException.Reason.INCOMPATIBLE_SCHEMA);
    }

    @Test
    void namesTheMissingFieldWhenARecordCannotBeEncoded() {
        SpendEvent incomplete = SampleEvents.spend();
        incomplete.setAgentId(null);
        assertThatThrownBy(() -> spendSerde.encode(TOPIC, incomplete))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot encode SpendEvent for topic 'asr.spend.v1'")
                .hasMessageContaining("agent_id");
    }

    @Test
    void registersUnderTheTopicNameStrategySubject() {
        assertThat(spendSerde.subject("asr.spend.v1")).isEqualTo("asr.spend.v1-value");
        assertThat(AvroSerde.forKeys(SpendEvent.class, fixedId).subject("asr.spend.v1")).isEqualTo("asr.spend.v1-key");
    }
}
