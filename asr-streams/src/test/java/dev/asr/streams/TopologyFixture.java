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
import dev.asr.streams.state.AsrStores;
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

    StreamsSettings settings;
    final PipelineCounters counters = new PipelineCounters();
    final Topics topics;
    TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> spendIn;
    private TestInputTopic<byte[], byte[]> outcomesIn;
    private TestOutputTopic<String, AgentWindowMetrics> metricsOut;
    private TestOutputTopic<String, BandTransition> transitionsOut;
    private TestOutputTopic<byte[], byte[]> deadLettersOut;
    private final AtomicInteger ids = new AtomicInteger();
    private final Path directory;
    private final AsrStores.Storage storage;
    /** The driver's wall clock, as moved by this fixture. */
    private Instant wall;
    /** Per agent (fleet/agent): the latest event time piped and the wall time then, to move its clock on. */
    private final Map<String, Instant[]> clocks = new HashMap<>();

    TopologyFixture() throws Exception {
        this(Map.of());
    }

    TopologyFixture(Map<String, String> overrides) throws Exception {
        this(overrides, AsrStores.Storage.IN_MEMORY);
    }

    /**
     * The topology with its stores in {@code storage}. The driver commits, and flushes every store,
     * after each record: on RocksDB that is milliseconds a record, so most tests keep their stores in
     * the heap; those about what survives a restart use RocksDB.
     */
    TopologyFixture(Map<String, String> overrides, AsrStores.Storage storage) throws Exception {
        this.storage = storage;
        directory = Files.createTempDirectory("asr-topology-test");
        topics = Topics.create(TopicNames.DEFAULTS, new EmbeddedSchemaRegistry(directory.resolve("schemas")));
        wall = T0.plus(Duration.ofHours(1));
        start(overrides);
    }

    private void start(Map<String, String> overrides) {
        settings = StreamsSettings.from(overrides);
        Properties props = new Properties();
        props.put("application.id", "asr-test");
        props.put("bootstrap.servers", "unused:9092");
        props.put("state.dir", directory.resolve("state").toString());
        driver = new TopologyTestDriver(AsrTopology.build(settings, topics, counters, 1, storage), props, wall);
        spendIn = driver.createInputTopic(topics.spend().name(), new ByteArraySerializer(), new ByteArraySerializer());
        outcomesIn = driver.createInputTopic(topics.outcomes().name(), new ByteArraySerializer(), new ByteArraySerializer());
        metricsOut = driver.createOutputTopic(topics.agentMetrics().name(), topics.agentMetrics().keySerde().deserializer(),
                topics.agentMetrics().valueSerde().deserializer());
        transitionsOut = driver.createOutputTopic(topics.bandTransitions().name(), topics.bandTransitions().keySerde().deserializer(),
                topics.bandTransitions().valueSerde().deserializer());
        deadLettersOut = driver.createOutputTopic(topics.deadLetters().name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Stops the topology and starts it again on the same state with other settings, as an
     * operator restarting {@code asr streams} would. The driver deletes its state directory when it
     * closes: the stores (flushed at every commit) are kept aside meanwhile.
     */
    void restartWith(Map<String, String> overrides) throws Exception {
        if (storage != AsrStores.Storage.ROCKSDB) {
            throw new IllegalStateException("a restart keeps only what is on disk: build the fixture with Storage.ROCKSDB");
        }
        drainMetrics();
        Path state = directory.resolve("state");
        Path kept = directory.resolve("state-kept");
        copy(state, kept);
        driver.close();
        delete(state);
        Files.move(kept, state);
        start(overrides);
        // A restarted topology counts every agent's silence from the restart.
        clocks.values().forEach(clock -> clock[1] = wall);
    }

    private static void copy(Path from, Path to) throws java.io.IOException {
        try (var paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else if (!path.getFileName().toString().equals(".lock")) {
                    Files.copy(path, target);
                }
            }
        }
    }

    private static void delete(Path directory) {
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // A temp directory; the OS cleans what is left.
        }
    }

    /** Every record written to a store's changelog so far: key and value sizes, for bounding state per record. */
    List<TestRecord<byte[], byte[]>> changelog(String store) {
        return driver.createOutputTopic("asr-test-" + store + "-changelog", new ByteArrayDeserializer(), new ByteArrayDeserializer())
                .readRecordsToList();
    }

    /** A store of the agent side as the key-value store it logs to. */
    org.apache.kafka.streams.state.KeyValueStore<org.apache.kafka.common.utils.Bytes, byte[]> keyValueStore(String name) {
        if (name.equals(dev.asr.streams.state.AsrStores.AGENTS)) {
            return ((dev.asr.streams.state.WriteBackStore) driver.getStateStore(name)).logged();
        }
        return driver.getKeyValueStore(name);
    }

    // ---- writing events

    SpendEvent spend(String agent, String task, SpendKind kind, long costMicros, Instant at) {
        return spend(SpendEvent.newBuilder().setEventId("s-" + ids.incrementAndGet()).setAgentId(agent).setFleet(fleetOf(agent))
                .setTaskId(task).setKind(kind).setCostMicros(costMicros).setOccurredAt(at).build());
    }

    SpendEvent spend(SpendEvent event) {
        observed(event.getFleet(), event.getAgentId(), event.getOccurredAt());
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
        observed(event.getFleet(), event.getAgentId(), event.getOccurredAt());
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

    private void observed(String fleet, String agent, Instant at) {
        clocks.merge(fleet + "/" + agent, new Instant[] {at, wall},
                (old, now) -> new Instant[] {old[0].isAfter(at) ? old[0] : at, wall});
    }

    /**
     * Moves every agent's clock to at least {@code at} the way a silent agent's clock moves: by the
     * wall clock, once the agent has been quiet for the grace period if its events arrive as they
     * happen, else for {@code asr.fleet.max-wait} (SPEC §4 v2; the events here are read an hour after
     * they happened, as history). The agent furthest behind lands exactly on {@code at}; the others
     * go as far past it as they were ahead.
     */
    void tick(Instant at) {
        Instant needed = wall;
        for (Instant[] clock : clocks.values()) {
            boolean live = !clock[1].isAfter(clock[0].plus(settings.grace()));
            Duration silence = live ? settings.grace() : max(settings.grace(), settings.fleetMaxWait());
            Instant forThisAgent = clock[1].plus(silence).plus(Duration.between(clock[0], at));
            needed = forThisAgent.isAfter(needed) ? forThisAgent : needed;
        }
        advanceWallClock(Duration.between(wall, needed));
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    void advanceWallClock(Duration by) {
        wall = wall.plus(by);
        driver.advanceWallClockTime(by);
    }

    Instant wallClock() {
        return wall;
    }

    /** Real time passes with the events: the wall clock moves to {@code eventTime} when behind it (never back). */
    void wallAtLeast(Instant eventTime) {
        if (eventTime.isAfter(wall)) {
            advanceWallClock(Duration.between(wall, eventTime));
        }
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
            if (m.getAgentId() != null) {
                latest.put(m.getFleet() + "/" + who + "|" + m.getWindow() + "|" + m.getWindowEnd(), m);
            }
        }
    }

    /** The latest row for an agent (its id, or "fleet/id"; or "fleet:<name>"), view and window end; null when none was written. */
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
        delete(directory);
    }
}
