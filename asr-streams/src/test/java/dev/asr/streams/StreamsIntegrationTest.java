package dev.asr.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.Direction;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.streams.processor.DeadLetters;
import dev.asr.schemas.testing.TestTopics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A scripted fleet through the real topology on a real broker, exactly-once: an agent that rises
 * through the bands, one that falls, one that hovers at the 0.6 threshold. Every expected band and
 * figure below was worked out by hand from the script.
 */
class StreamsIntegrationTest {

    /** Recent: topic retention is by record timestamp, and the records are stamped with event time. */
    private static final Instant T0 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS).minus(Duration.ofHours(2));
    private static final int PARTITIONS = 3;
    private static final long COST = 100_000;
    /** Autonomous tasks per minute, of 10 tasks each minute. */
    private static final int[] RISER = {1, 1, 1, 5, 5, 9, 10, 10, 10, 10, 10, 10};
    private static final int[] FALLER = {10, 10, 10, 10, 6, 2, 0, 0, 0, 0, 0, 0};
    private static final int[] HOVERER = {6, 6, 7, 5, 6, 6, 5, 7, 6, 5, 6, 6};

    @TempDir
    Path directory;

    @Test
    void risingFallingAndHoveringAgentsGetTheBandsWorkedOutByHand() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        String run = UUID.randomUUID().toString().substring(0, 8);
        TopicNames names = TestTopics.fresh();
        Topics topics = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(directory.resolve("schemas")), PARTITIONS);
        try (ScriptedFleet fleet = new ScriptedFleet(bootstrap, topics)) {
            for (int minute = 0; minute < 12; minute++) {
                for (int i = 0; i < 10; i++) {
                    Instant at = T0.plus(Duration.ofMinutes(minute)).plusSeconds(i * 5L);
                    fleet.task("riser", "learning", "r" + minute + "-" + i, COST, i < RISER[minute], at);
                    fleet.task("faller", "learning", "f" + minute + "-" + i, COST, i < FALLER[minute], at);
                    fleet.task("hoverer", "steady", "h" + minute + "-" + i, COST, i < HOVERER[minute], at);
                }
            }
            for (String[] agent : new String[][] {{"riser", "learning"}, {"faller", "learning"}, {"hoverer", "steady"}}) {
                fleet.tick(agent[0], agent[1], T0.plus(Duration.ofMinutes(20)));
            }
            fleet.flush();
        }
        // A garbled record on the way: dead-lettered with its bytes, the rest carries on.
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(names.spend(), "riser".getBytes(), "not avro".getBytes())).get();
        }

        Map<String, String> settings = new HashMap<>(Map.of("asr.streams.metrics-port", "0", "asr.grace", "10s"));
        Map<String, Object> config = StreamsSettings.streamsConfig(Map.of(
                "bootstrap.servers", bootstrap,
                "application.id", "asr-it-" + run,
                "state.dir", directory.resolve("state").toString(),
                "commit.interval.ms", "200"));
        try (StreamsService service = StreamsService.start(StreamsSettings.from(settings), config, topics)) {
            List<BandTransition> transitions = read(bootstrap, names.bandTransitions(),
                    topics.bandTransitions().valueSerde().deserializer(), 6, Duration.ofSeconds(90));

            assertThat(summary(transitions)).containsExactlyInAnyOrder(
                    "riser UNRATED->REACTIVE RATED @1",      // 1/10 = 0.1
                    "riser REACTIVE->ASSISTED UP @5",        // 13/50 = 0.26 >= 0.2 + 0.05
                    "riser ASSISTED->SELF_DIRECTED UP @11",  // 72/110 = 0.6545 >= 0.6 + 0.05
                    "faller UNRATED->SELF_DIRECTED RATED @1", // 10/10
                    "faller SELF_DIRECTED->ASSISTED DOWN @9",  // 48/90 = 0.533 < 0.6 - 0.05
                    "hoverer UNRATED->SELF_DIRECTED RATED @1"); // 0.6, then 0.5857..0.633: never below 0.55
            assertThat(transitions).extracting(BandTransition::getTransitionId).doesNotHaveDuplicates();
            BandTransition drop = transitions.stream().filter(t -> t.getDirection() == Direction.DOWN).findFirst().orElseThrow();
            assertThat(drop.getAsr()).isCloseTo(48 / 90.0, within(1e-12));
            assertThat(drop.getSettledTasks()).isEqualTo(90);
            assertThat(drop.getSpendMicros()).isEqualTo(90 * COST);

            // The fleet row comes after its agents' rows: up to asr.grace after the start, as a partition with no agent waits that
            // long before it lets the fleet windows be written (it may not have read its first record yet).
            Map<String, AgentWindowMetrics> metrics = new HashMap<>();
            for (AgentWindowMetrics m : readUntil(bootstrap, names.agentMetrics(), topics.agentMetrics().valueSerde().deserializer(),
                    m -> m.getAgentId() == null && m.getFleet().equals("learning") && m.getWindow().equals("1h")
                            && m.getWindowEnd().equals(T0.plus(Duration.ofMinutes(12))), Duration.ofSeconds(60))) {
                metrics.put((m.getAgentId() == null ? "fleet:" + m.getFleet() : m.getAgentId()) + " " + m.getWindow() + " @"
                        + Duration.between(T0, m.getWindowEnd()).toMinutes(), m);
            }
            AgentWindowMetrics riser = metrics.get("riser 1h @12");
            assertThat(riser.getSettledTasks()).isEqualTo(120);
            assertThat(riser.getSpendMicros()).isEqualTo(120 * COST);
            assertThat(riser.getAutonomousSpendMicros()).isEqualTo(82 * COST);
            assertThat(riser.getAsr()).isCloseTo(82 / 120.0, within(1e-12));
            assertThat(riser.getAutonomousRoi()).isCloseTo(2 * 82 / 120.0, within(1e-12));
            assertThat(riser.getWinRate()).isCloseTo(82 / 120.0, within(1e-12));
            assertThat(riser.getEvPerToken()).isCloseTo(82 * 0.2 / (120 * 1_100), within(1e-12));
            assertThat(riser.getBand()).isEqualTo(Band.SELF_DIRECTED);
            AgentWindowMetrics riser5m = metrics.get("riser 5m @12");
            assertThat(riser5m.getAsr()).as("minutes 7..11, all autonomous").isEqualTo(1.0);
            assertThat(metrics.get("hoverer 1h @12").getAsr()).isCloseTo(71 / 120.0, within(1e-12));
            assertThat(metrics.get("hoverer 1h @12").getBand()).isEqualTo(Band.SELF_DIRECTED);
            assertThat(metrics.get("faller 1h @12").getAsr()).isCloseTo(48 / 120.0, within(1e-12));
            AgentWindowMetrics learning = metrics.get("fleet:learning 1h @12");
            assertThat(learning).as("fleet roll-up of riser and faller").isNotNull();
            assertThat(learning.getAgents()).isEqualTo(2);
            assertThat(learning.getAsr()).isCloseTo((82 + 48) / 240.0, within(1e-12));

            List<ConsumerRecord<byte[], byte[]>> dead = readRaw(bootstrap, names.deadLetters(), 1);
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(new String(r.value(), StandardCharsets.UTF_8)).isEqualTo("not avro");
                assertThat(new String(r.key(), StandardCharsets.UTF_8)).isEqualTo("riser");
                assertThat(header(r, DeadLetters.REASON)).isEqualTo("not-wire-format");
                assertThat(header(r, DeadLetters.SOURCE_TOPIC)).isEqualTo(names.spend());
                assertThat(header(r, DeadLetters.SOURCE_OFFSET)).matches("\\d+");
            });
            assertThat(service.counters().deadLetters()).isEqualTo(1);
            assertThat(service.metricsUrl()).isNotNull();
            String scrape = new String(new java.net.URL(service.metricsUrl()).openStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(scrape).contains("asr_dead_letters_total{reason=\"not-wire-format\"} 1.0", "asr_streams_up 1.0");
            // What an SRE alerts on: state (rebalancing, restoring), rebalances, restoration left, input lag.
            assertThat(scrape).contains("asr_streams_state{state=\"RUNNING\"} 1.0", "asr_streams_state{state=\"REBALANCING\"} 0.0",
                    "asr_streams_restore_remaining_records 0.0", "asr_streams_input_lag_records ");
            assertThat(scrape).containsPattern("(?m)^asr_streams_rebalances_total [1-9]");
            // One instance owns every task: each sub-topology's, one per input partition.
            assertThat(scrape).containsPattern("(?m)^asr_streams_tasks\\{kind=\"active\"} [1-9]").contains(
                    "asr_streams_tasks{kind=\"standby\"} 0.0");
        }
    }

    /**
     * What the ledger knows survives a restart: after it, spend for a task settled before counts as
     * unattributed, and a resent spend event of that task as a duplicate (the settled-task filter is
     * rebuilt from the store, or both would open the task again).
     */
    @Test
    void aRestartedTopologyStillKnowsWhichTasksSettled() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        String run = UUID.randomUUID().toString().substring(0, 8);
        TopicNames names = TestTopics.fresh();
        Topics topics = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(directory.resolve("schemas")), 1);
        Map<String, Object> config = StreamsSettings.streamsConfig(Map.of(
                "bootstrap.servers", bootstrap,
                "application.id", "asr-it-restart-" + run,
                "state.dir", directory.resolve("state").toString(),
                "commit.interval.ms", "200"));
        StreamsSettings settings = StreamsSettings.from(Map.of("asr.streams.metrics-port", "-1"));
        SpendEvent first = SpendEvent.newBuilder().setEventId("keeper-spend-1").setAgentId("keeper").setFleet("support")
                .setTaskId("k1").setKind(SpendKind.INFERENCE).setCostMicros(COST).setOccurredAt(T0.plusSeconds(10)).build();
        try (ScriptedFleet fleet = new ScriptedFleet(bootstrap, topics);
             StreamsService service = StreamsService.start(settings, config, topics)) {
            fleet.spend(first);
            fleet.outcome(OutcomeEvent.newBuilder().setEventId("keeper-outcome-1").setAgentId("keeper").setFleet("support")
                    .setTaskId("k1").setStatus(OutcomeStatus.SUCCEEDED).setValueMicros(2 * COST)
                    .setOccurredAt(T0.plusSeconds(11)).build());
            fleet.flush();
            awaitProcessed(service, 2);
        }

        try (ScriptedFleet fleet = new ScriptedFleet(bootstrap, topics);
             StreamsService service = StreamsService.start(settings, config, topics)) {
            fleet.spend(first);
            fleet.spend(SpendEvent.newBuilder(first).setEventId("keeper-spend-late").setCostMicros(40_000)
                    .setOccurredAt(T0.plusSeconds(20)).build());
            fleet.tick("keeper", "support", T0.plus(Duration.ofMinutes(5)));
            fleet.flush();
            awaitProcessed(service, 3);
            assertThat(service.counters().duplicates()).as("the resent spend of the settled task").isEqualTo(1);

            AgentWindowMetrics minute = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (minute == null) {
                assertThat(System.nanoTime()).as("keeper's first minute within 60 s").isLessThan(deadline);
                minute = read(bootstrap, names.agentMetrics(), topics.agentMetrics().valueSerde().deserializer(), Integer.MAX_VALUE,
                        Duration.ofSeconds(2)).stream().filter(m -> "keeper".equals(m.getAgentId()) && m.getWindow().equals("1m"))
                        .findFirst().orElse(null);
            }
            assertThat(minute.getSpendMicros()).isEqualTo(COST + 40_000);
            assertThat(minute.getUnattributedSpendMicros()).isEqualTo(40_000);
            assertThat(minute.getOpenSpendMicros()).isZero();
            assertThat(minute.getSettledTasks()).isEqualTo(1);
            assertThat(minute.getAutonomousSpendMicros()).isEqualTo(COST);
        }
    }

    private static void awaitProcessed(StreamsService service, long events) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (service.counters().processed() < events) {
            assertThat(System.nanoTime()).as("%d events processed within 60 s", events).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static List<String> summary(List<BandTransition> transitions) {
        return transitions.stream().map(t -> t.getAgentId() + " " + t.getFromBand() + "->" + t.getToBand() + " " + t.getDirection()
                + " @" + Duration.between(T0, t.getWindowEnd()).toMinutes()).toList();
    }

    static <V> List<V> read(String bootstrap, String topic, Deserializer<V> deserializer, int expected, Duration timeout) {
        List<V> values = new ArrayList<>();
        try (KafkaConsumer<byte[], V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), deserializer)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (values.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
            }
        }
        return values;
    }

    /** Every record up to the first that {@code last} accepts (or the timeout). */
    private static <V> List<V> readUntil(String bootstrap, String topic, Deserializer<V> deserializer, java.util.function.Predicate<V> last,
            Duration timeout) {
        List<V> values = new ArrayList<>();
        try (KafkaConsumer<byte[], V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), deserializer)) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + timeout.toNanos();
            boolean seen = false;
            while (!seen && System.nanoTime() < deadline) {
                for (var record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                    seen |= last.test(record.value());
                }
            }
        }
        return values;
    }

    private static List<ConsumerRecord<byte[], byte[]>> readRaw(String bootstrap, String topic, int expected) {
        List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }

    private static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return new String(record.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }
}
