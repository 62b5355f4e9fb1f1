package dev.asr.streams;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.streams.processor.PipelineCounters;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * The topology on a TopologyTestDriver, with helpers to write events as an agent runtime would
 * (Avro in the wire format, keyed by agent, stamped with event time) and read what came out.
 * Wall-clock time starts an hour after {@link #T0} and moves only when a test moves it.
 */
final class TopologyFixture implements AutoCloseable {

    static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    final StreamsSettings settings;
    final PipelineCounters counters = new PipelineCounters();
    final Topics topics;
    final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> spendIn;
    private final TestInputTopic<byte[], byte[]> outcomesIn;
    private final TestOutputTopic<String, AgentWindowMetrics> metricsOut;
    private final TestOutputTopic<String, BandTransition> transitionsOut;
    private final TestOutputTopic<byte[], byte[]> deadLettersOut;
    private final AtomicInteger ids = new AtomicInteger();
    private final Path directory;

    TopologyFixture() throws Exception {
        this(Map.of());
    }

    TopologyFixture(Map<String, String> overrides) throws Exception {
        directory = Files.createTempDirectory("asr-topology-test");
        settings = StreamsSettings.from(overrides);
        topics = Topics.create(TopicNames.DEFAULTS, new EmbeddedSchemaRegistry(directory.resolve("schemas")));
        Properties props = new Properties();
        props.put("application.id", "asr-test");
        props.put("bootstrap.servers", "unused:9092");
        props.put("state.dir", directory.resolve("state").toString());
        driver = new TopologyTestDriver(AsrTopology.build(settings, topics, counters), props, T0.plus(Duration.ofHours(1)));
        spendIn = driver.createInputTopic(topics.spend().name(), new ByteArraySerializer(), new ByteArraySerializer());
        outcomesIn = driver.createInputTopic(topics.outcomes().name(), new ByteArraySerializer(), new ByteArraySerializer());
        metricsOut = driver.createOutputTopic(topics.agentMetrics().name(), topics.agentMetrics().keySerde().deserializer(),
                topics.agentMetrics().valueSerde().deserializer());
        transitionsOut = driver.createOutputTopic(topics.bandTransitions().name(), topics.bandTransitions().keySerde().deserializer(),
                topics.bandTransitions().valueSerde().deserializer());
        deadLettersOut = driver.createOutputTopic(topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    // ---- writing events

    SpendEvent spend(String agent, String task, SpendKind kind, long costMicros, Instant at) {
        return spend(SpendEvent.newBuilder().setEventId("s-" + ids.incrementAndGet()).setAgentId(agent).setFleet(fleetOf(agent))
                .setTaskId(task).setKind(kind).setCostMicros(costMicros).setOccurredAt(at).build());
    }

    SpendEvent spend(SpendEvent event) {
        pipe(spendIn, event.getAgentId(), topics.spend().valueSerde().serializer().serialize(topics.spend().name(), event),
                event.getOccurredAt());
        return event;
    }

    OutcomeEvent outcome(String agent, String task, OutcomeStatus status, long valueMicros, int interventions, Instant at) {
        return outcome(OutcomeEvent.newBuilder().setEventId("o-" + ids.incrementAndGet()).setAgentId(agent).setFleet(fleetOf(agent))
                .setTaskId(task).setStatus(status).setValueMicros(valueMicros).setHumanInterventions(interventions)
                .setOccurredAt(at).build());
    }

    OutcomeEvent outcome(OutcomeEvent event) {
        pipe(outcomesIn, event.getAgentId(), topics.outcomes().valueSerde().serializer().serialize(topics.outcomes().name(), event),
                event.getOccurredAt());
        return event;
    }

    /** One task, start to finish: {@code steps} inference calls of {@code costEach}, then the outcome. */
    void task(String agent, String task, int steps, long costEach, OutcomeStatus status, long value, int interventions, Instant at) {
        for (int i = 0; i < steps; i++) {
            spend(agent, task, SpendKind.INFERENCE, costEach, at.plusMillis(i));
        }
        outcome(agent, task, status, value, interventions, at.plusMillis(steps));
    }

    void rawSpend(byte[] key, byte[] value, Instant at) {
        spendIn.pipeInput(new TestRecord<>(key, value, new RecordHeaders(), at));
    }

    void rawOutcome(byte[] key, byte[] value, Instant at) {
        outcomesIn.pipeInput(new TestRecord<>(key, value, new RecordHeaders(), at));
    }

    /** Moves the partition clock with an idle event of an uninvolved agent (same partition in the driver). */
    void tick(Instant at) {
        spend("clock-agent", null, SpendKind.IDLE, 0, at);
    }

    void advanceWallClock(Duration by) {
        driver.advanceWallClockTime(by);
    }

    private static void pipe(TestInputTopic<byte[], byte[]> topic, String key, byte[] value, Instant at) {
        topic.pipeInput(new TestRecord<>(key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, new RecordHeaders(), at));
    }

    static String fleetOf(String agent) {
        return agent.startsWith("trader") ? "trading" : agent.startsWith("clock") ? "clock" : "support";
    }

    // ---- reading what came out

    private final Map<String, AgentWindowMetrics> latest = new HashMap<>();
    private final List<AgentWindowMetrics> allMetrics = new ArrayList<>();

    private void drainMetrics() {
        for (AgentWindowMetrics m : metricsOut.readValuesToList()) {
            allMetrics.add(m);
            String who = m.getAgentId() == null ? "fleet:" + m.getFleet() : m.getAgentId();
            latest.put(who + "|" + m.getWindow() + "|" + m.getWindowEnd(), m);
        }
    }

    /** The latest row for an agent (or "fleet:<name>"), view and window end; null when none was written. */
    AgentWindowMetrics metrics(String who, String view, Instant windowEnd) {
        drainMetrics();
        return latest.get(who + "|" + view + "|" + windowEnd);
    }

    /** Every metrics row written so far, in order. */
    List<AgentWindowMetrics> allMetrics() {
        drainMetrics();
        return allMetrics;
    }

    List<BandTransition> transitions() {
        return transitionsOut.readValuesToList();
    }

    List<TestRecord<byte[], byte[]>> deadLetters() {
        return deadLettersOut.readRecordsToList();
    }

    static String header(TestRecord<byte[], byte[]> record, String name) {
        var header = record.headers().lastHeader(name);
        return header == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        driver.close();
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // A temp directory; the OS cleans what is left.
        }
    }
}
