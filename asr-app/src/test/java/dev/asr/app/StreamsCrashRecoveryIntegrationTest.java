package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.ingest.simulator.FleetSettings;
import dev.asr.ingest.simulator.FleetSimulator;
import dev.asr.ingest.sdk.AsrClientSettings;
import dev.asr.ingest.simulator.SdkEventSink;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.testing.TestTopics;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code asr streams} as a separate process, killed with SIGKILL mid-stream and restarted: its
 * final figures equal an uninterrupted run's over the same input, and no row or transition is
 * written twice (exactly-once v2, read_committed).
 */
class StreamsCrashRecoveryIntegrationTest {

    /** Recent: topic retention is by record timestamp, and the records are stamped with event time. */
    private static final Instant T0 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS).minus(Duration.ofHours(2));
    private static final int PARTITIONS = 3;
    private static final int AGENTS = 24;
    /** The simulator deals five agent kinds, one fleet each. */
    private static final int FLEETS = 5;
    /** 1m, 5m, 1h, 24h. */
    private static final int VIEWS = 4;
    private static final Instant TICK = T0.plus(Duration.ofMinutes(25));
    /** The tick closes every bucket ending by TICK - grace (2m). */
    private static final Instant LAST_END = TICK.minus(Duration.ofMinutes(2));
    private static final Pattern PROCESSED = Pattern.compile("asr_events_processed_total (\\d+)");

    @TempDir
    Path directory;

    private final List<Process> started = new ArrayList<>();

    @org.junit.jupiter.api.AfterEach
    void stopProcesses() {
        started.forEach(Process::destroyForcibly);
    }

    @Test
    void aKilledAndRestartedRunEndsWithTheUninterruptedRunsFigures() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        String run = UUID.randomUUID().toString().substring(0, 8);
        Path schemas = directory.resolve("schemas");
        TopicNames inputs = TestTopics.fresh();
        Topics topics = TestTopics.create(bootstrap, inputs, new EmbeddedSchemaRegistry(schemas), PARTITIONS);
        long events = preload(bootstrap, topics, schemas);

        Path uninterrupted = config("a-" + run, inputs, bootstrap, schemas);
        Process a = streams(uninterrupted, "a");
        awaitComplete(bootstrap, "metrics-a-" + run, topics, a, "a");
        a.destroy();
        assertThat(a.waitFor(60, TimeUnit.SECONDS)).isTrue();

        Path crashing = config("b-" + run, inputs, bootstrap, schemas);
        Process b = streams(crashing, "b1");
        int port = Integer.parseInt(Files.readString(crashing).replaceAll("(?s).*asr.streams.metrics-port=(\\d+).*", "$1"));
        long processedAtKill = awaitProcessed(port, events / 3, b);
        b.destroyForcibly(); // SIGKILL: no shutdown hook, no commit, no clean close
        assertThat(b.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(processedAtKill).isLessThan(events);
        Process restarted = streams(crashing, "b2");
        awaitComplete(bootstrap, "metrics-b-" + run, topics, restarted, "b2");
        restarted.destroy();
        assertThat(restarted.waitFor(60, TimeUnit.SECONDS)).isTrue();

        Rows expected = rows(bootstrap, "metrics-a-" + run, "transitions-a-" + run, topics);
        Rows actual = rows(bootstrap, "metrics-b-" + run, "transitions-b-" + run, topics);
        assertThat(expected.agentRows.values().stream().filter(m -> m.getWindowEnd().equals(LAST_END))).hasSize(AGENTS * VIEWS);
        assertThat(expected.agentRows).as("a row per agent, view and minute").hasSizeGreaterThan(AGENTS * VIEWS * 20);
        assertThat(actual.duplicateAgentRows).as("agent rows written twice").isEmpty();
        assertThat(difference(actual.agentRows, expected.agentRows)).as("agent rows that differ").isEmpty();
        assertThat(difference(actual.fleetRows, expected.fleetRows)).as("fleet rows that differ").isEmpty();
        assertThat(expected.transitions).isNotEmpty();
        assertThat(actual.duplicateTransitions).as("transitions written twice").isEmpty();
        assertThat(actual.transitions).isEqualTo(expected.transitions);
    }

    /** 20 minutes of a seeded fleet's events, then a tick on every partition at T0 + 25m. */
    private long preload(String bootstrap, Topics topics, Path schemas) {
        AsrClientSettings client = AsrClientSettings.of(bootstrap, RegistrySettings.embedded(schemas)).withTopics(topics.names());
        try (SdkEventSink sink = new SdkEventSink(client)) {
            FleetSimulator simulator = new FleetSimulator(new FleetSettings(AGENTS, 100, 42, "crash"), sink, Clock.systemUTC());
            // Strictly increasing event times: Kafka Streams interleaves the two input topics by timestamp,
            // and ties would let the interleaving (and so spend-after-outcome) differ between runs.
            for (int step = 0; step < 20 * 60 * 40; step++) {
                simulator.steps(1, T0.plusMillis(step * 25L));
            }
            // Every agent keeps its own clock: a free idle event moves each to TICK.
            simulator.fleets().forEach((agent, fleet) -> sink.spend(SpendEvent.newBuilder().setEventId("tick-" + agent).setAgentId(agent)
                    .setFleet(fleet).setKind(SpendKind.IDLE).setCostMicros(0).setOccurredAt(TICK).build()));
            sink.flush();
            assertThat(sink.failed()).isZero();
            return sink.spendDelivered() + sink.outcomesDelivered();
        }
    }

    private Path config(String id, TopicNames inputs, String bootstrap, Path schemas) throws IOException {
        Path file = directory.resolve(id + ".properties");
        Files.writeString(file, String.join("\n",
                "bootstrap.servers=" + bootstrap,
                "schema.registry.url=embedded:" + schemas,
                "application.id=asr-crash-" + id,
                "state.dir=" + directory.resolve("state-" + id),
                "commit.interval.ms=100",
                "session.timeout.ms=10000",
                "asr.topic.spend=" + inputs.spend(),
                "asr.topic.outcomes=" + inputs.outcomes(),
                "asr.topic.agent-metrics=metrics-" + id,
                "asr.topic.band-transitions=transitions-" + id,
                "asr.topic.dlq=dlq-" + id,
                "asr.streams.metrics-port=" + freePort(),
                ""));
        return file;
    }

    private Process streams(Path config, String name) throws IOException {
        Path log = directory.resolve(name + ".log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar",
                Path.of("target", "asr.jar").toString(), "streams", "--config", config.toString(), "--create-topics", "3")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(process);
        return process;
    }

    /** Waits until every agent's rows for the last closed bucket, and the fleets' for the one before, are committed. */
    private void awaitComplete(String bootstrap, String metricsTopic, Topics topics, Process process, String name) throws Exception {
        Set<String> last = new HashSet<>();
        Deserializer<AgentWindowMetrics> deserializer = topics.agentMetrics().valueSerde().deserializer();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (last.size() < AGENTS * VIEWS + FLEETS * VIEWS) {
                assertThat(System.nanoTime()).as("rows of the last bucket within 120 s (%d of %d seen); log:%n%s",
                        last.size(), AGENTS * VIEWS + FLEETS * VIEWS, log(name)).isLessThan(deadline);
                assertThat(process.isAlive()).as("asr streams is running; log:%n%s", log(name)).isTrue();
                if (consumer.subscription().isEmpty() && topicExists(consumer, metricsTopic)) {
                    consumer.subscribe(List.of(metricsTopic));
                }
                if (consumer.subscription().isEmpty()) {
                    Thread.sleep(200);
                    continue;
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    AgentWindowMetrics m = deserializer.deserialize(metricsTopic, r.value());
                    if (m.getAgentId() != null && m.getWindowEnd().equals(LAST_END)) {
                        last.add(m.getAgentId() + "|" + m.getWindow());
                    } else if (m.getAgentId() == null && m.getWindowEnd().equals(LAST_END.minus(Duration.ofMinutes(1)))) {
                        last.add("fleet:" + m.getFleet() + "|" + m.getWindow());
                    }
                });
            }
        }
    }

    private String log(String name) throws IOException {
        List<String> lines = Files.readAllLines(directory.resolve(name + ".log"));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static boolean topicExists(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        return consumer.listTopics(Duration.ofSeconds(5)).containsKey(topic);
    }

    private static long awaitProcessed(int port, long atLeast, Process process) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(process.isAlive()).as("asr streams is running").isTrue();
            try {
                String body = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                Matcher matcher = PROCESSED.matcher(body.replace(".0\n", "\n"));
                if (matcher.find() && Long.parseLong(matcher.group(1)) >= atLeast) {
                    return Long.parseLong(matcher.group(1));
                }
            } catch (IOException notUpYet) {
                // The endpoint starts with the topology.
            }
            Thread.sleep(20);
        }
        throw new AssertionError("asr streams did not process " + atLeast + " events within 90 s");
    }

    private static List<String> difference(Map<String, AgentWindowMetrics> actual, Map<String, AgentWindowMetrics> expected) {
        List<String> problems = new ArrayList<>();
        Set<String> keys = new java.util.TreeSet<>(actual.keySet());
        keys.addAll(expected.keySet());
        for (String key : keys) {
            if (!java.util.Objects.equals(actual.get(key), expected.get(key))) {
                problems.add(key + ": was " + actual.get(key) + "\n  expected " + expected.get(key));
            }
        }
        return problems;
    }

    private static final class Rows {
        final Map<String, AgentWindowMetrics> agentRows = new HashMap<>();
        final Map<String, AgentWindowMetrics> fleetRows = new HashMap<>();
        final List<String> duplicateAgentRows = new ArrayList<>();
        final Set<BandTransition> transitions = new HashSet<>();
        final List<String> duplicateTransitions = new ArrayList<>();
    }

    private static Rows rows(String bootstrap, String metricsTopic, String transitionsTopic, Topics topics) {
        Rows rows = new Rows();
        Deserializer<AgentWindowMetrics> metrics = topics.agentMetrics().valueSerde().deserializer();
        for (byte[] value : readAll(bootstrap, metricsTopic)) {
            AgentWindowMetrics m = metrics.deserialize(metricsTopic, value);
            if (m.getAgentId() != null && !m.getWindowEnd().isAfter(LAST_END)) {
                String key = m.getAgentId() + "|" + m.getWindow() + "|" + m.getWindowEnd();
                if (rows.agentRows.put(key, m) != null) {
                    rows.duplicateAgentRows.add(key);
                }
            } else if (m.getAgentId() == null && m.getWindowEnd().isBefore(LAST_END)) {
                rows.fleetRows.put(m.getFleet() + "|" + m.getWindow() + "|" + m.getWindowEnd(), m);
            }
        }
        Deserializer<BandTransition> transitions = topics.bandTransitions().valueSerde().deserializer();
        Set<String> ids = new HashSet<>();
        for (byte[] value : readAll(bootstrap, transitionsTopic)) {
            BandTransition t = transitions.deserialize(transitionsTopic, value);
            if (!ids.add(t.getTransitionId())) {
                rows.duplicateTransitions.add(t.getTransitionId());
            }
            if (!t.getWindowEnd().isAfter(LAST_END)) {
                rows.transitions.add(t);
            }
        }
        return rows;
    }

    private static List<byte[]> readAll(String bootstrap, String topic) {
        List<byte[]> values = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
            consumer.subscribe(List.of(topic));
            int emptyPolls = 0;
            while (emptyPolls < 10) {
                var records = consumer.poll(Duration.ofMillis(300));
                emptyPolls = records.isEmpty() ? emptyPolls + 1 : 0;
                records.forEach(r -> values.add(r.value()));
            }
        }
        return values;
    }

    private static KafkaConsumer<byte[], byte[]> consumer(String bootstrap) {
        return new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
