package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.ingest.sdk.AsrClientSettings;
import dev.asr.ingest.simulator.FleetSettings;
import dev.asr.ingest.simulator.FleetSimulator;
import dev.asr.ingest.simulator.SdkEventSink;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
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
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The input and the runs of the topology's crash and fault tests: a deterministic event set that
 * takes every path (a seeded fleet whose dropped tasks time out on event time, an agent that goes
 * silent with a task open and times out on the wall clock, an agent whose outcome arrives after
 * its bucket closed), {@code asr streams} processes over it, and the rows they write, to compare
 * run with run: equal, none missing, none twice.
 *
 * <p>Short time scales (5 s buckets, 10 s of grace, 20 s task timeout) so that the wall clock
 * does its part within seconds.
 */
final class CrashScenario {


    /** Recent: topic retention is by record timestamp, and the records are stamped with event time. */
    static final Instant T0 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.HOURS).minus(Duration.ofHours(2));
    static final int PARTITIONS = 3;
    static final int AGENTS = 24;
    /** The simulator deals five agent kinds, one fleet each. */
    static final int FLEETS = 5;
    static final String VIEW_SETTING = "5s,1m,10m";
    static final int VIEWS = 3;
    static final Duration BUCKET = Duration.ofSeconds(5);
    static final Duration GRACE = Duration.ofSeconds(10);
    static final Duration TIMEOUT = Duration.ofSeconds(20);
    static final Instant TICK = T0.plus(Duration.ofMinutes(25));
    /** The tick closes every bucket ending by TICK - grace. */
    static final Instant LAST_END = TICK.minus(GRACE);
    /** Reports twice, then goes silent with its task open: the wall clock times the task out. */
    static final String QUIET = "quiet-1";
    /** Its task's deadline, 20 s after its last spend at T0 + 20 s, falls in the bucket ending here. */
    static final Instant QUIET_TIMEOUT_END = T0.plusSeconds(45);
    /** Its outcome arrives after its own clock has closed the outcome's bucket. */
    static final String LATE = "late-1";
    /**
     * The scripted agents go silent early and are forgotten once their views are empty: their rows,
     * and their fleets' (one agent each), are compared up to here and to {@link #QUIET_TIMEOUT_END}.
     */
    static final Instant LATE_COMPARED_TO = T0.plusSeconds(120);

    private final Path directory;
    private final int stepsPerSecond;
    private final List<Process> started = new ArrayList<>();

    CrashScenario(Path directory) {
        this(directory, 40);
    }

    /**
     * The seeded fleet stepped {@code stepsPerSecond} times a second of event time, about an event a
     * step (40: every 25 ms, about 48,000 events in all).
     */
    CrashScenario(Path directory, int stepsPerSecond) {
        if (stepsPerSecond < 1 || stepsPerSecond > 1000) {
            throw new IllegalArgumentException("steps per second must be 1 to 1000 (distinct event times), got " + stepsPerSecond);
        }
        this.directory = directory;
        this.stepsPerSecond = stepsPerSecond;
    }

    /** Kills every process this scenario started that still runs. */
    void stopProcesses() {
        started.forEach(Process::destroyForcibly);
    }

    Rows uninterrupted(String bootstrap, TopicNames inputs, Topics topics, Path schemas, String id) throws Exception {
        return uninterrupted(bootstrap, inputs, topics, schemas, id, Duration.ofSeconds(120), List.of());
    }

    /**
     * One {@code asr streams} process over the whole input, no faults, with {@code extra} config
     * lines: its rows once the last bucket's are written (within {@code within}).
     */
    Rows uninterrupted(String bootstrap, TopicNames inputs, Topics topics, Path schemas, String id, Duration within, List<String> extra)
            throws Exception {
        Path config = config(id, id, inputs, bootstrap, schemas, extra);
        Process process = streams(config, id);
        java.util.function.Supplier<String> exited = exited(process, id);
        awaitComplete(bootstrap, "metrics-" + id, topics, within, () -> {
            String problem = exited.get();
            return problem != null ? problem : dropped(config);
        });
        assertThat(counter(metricsPort(config), "asr_fleet_contributions_dropped_total"))
                .as("agents' windows that came after their fleet window was forgotten").isZero();
        process.destroy();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return rows(bootstrap, "metrics-" + id, "transitions-" + id, topics);
    }

    /** An event to send when the pre-load's time reaches {@code sendAt}: in the input as it would arrive, among the fleet's. */
    private record Scripted(Instant sendAt, java.util.function.Consumer<SdkEventSink> send) {}

    /**
     * The silent agent: two spends of one task, then nothing. The late agent: spends of task l1 at
     * T0 + 60s and 85s, then another task's outcome at T0 + 110s that moves its clock on (closing
     * its buckets to T0 + 100s, not yet the one of l1's deadline, 105s), then l1's outcome, stamped
     * T0 + 90s but sent after the other: it arrives late, in any reading order of the two topics.
     */
    private static List<Scripted> scripted() {
        List<Scripted> events = new ArrayList<>();
        for (int i = 1; i <= 2; i++) {
            SpendEvent spend = SpendEvent.newBuilder().setEventId("quiet-spend-" + i).setAgentId(QUIET).setFleet("quiet").setTaskId("q1")
                    .setKind(SpendKind.INFERENCE).setCostMicros(30_000).setOccurredAt(T0.plusSeconds(10L * i)).build();
            events.add(new Scripted(spend.getOccurredAt(), sink -> sink.spend(spend)));
        }
        for (long[] spend : new long[][] {{60, 70_000}, {85, 10_000}}) {
            SpendEvent event = SpendEvent.newBuilder().setEventId("late-spend-" + spend[0]).setAgentId(LATE).setFleet("scripted")
                    .setTaskId("l1").setKind(SpendKind.INFERENCE).setCostMicros(spend[1]).setOccurredAt(T0.plusSeconds(spend[0])).build();
            events.add(new Scripted(event.getOccurredAt(), sink -> sink.spend(event)));
        }
        OutcomeEvent other = OutcomeEvent.newBuilder().setEventId("late-other").setAgentId(LATE).setFleet("scripted").setTaskId("other")
                .setStatus(OutcomeStatus.FAILED).setOccurredAt(T0.plusSeconds(110)).build();
        OutcomeEvent late = OutcomeEvent.newBuilder().setEventId("late-outcome").setAgentId(LATE).setFleet("scripted").setTaskId("l1")
                .setStatus(OutcomeStatus.SUCCEEDED).setValueMicros(500_000).setOccurredAt(T0.plusSeconds(90)).build();
        events.add(new Scripted(other.getOccurredAt(), sink -> {
            sink.outcome(other);
            sink.outcome(late);
        }));
        return events;
    }

    /** 20 minutes of a seeded fleet's events and the scripted agents', then a tick for every agent at T0 + 25m. */
    long preload(String bootstrap, Topics topics, Path schemas) {
        AsrClientSettings client = AsrClientSettings.of(bootstrap, RegistrySettings.embedded(schemas)).withTopics(topics.names());
        try (SdkEventSink sink = new SdkEventSink(client)) {
            FleetSimulator simulator = new FleetSimulator(new FleetSettings(AGENTS, 100, 42, "crash"), sink, Clock.systemUTC());
            // Strictly increasing event times: Kafka Streams interleaves the two input topics by timestamp,
            // and ties would let the interleaving (and so spend-after-outcome) differ between runs.
            java.util.Deque<Scripted> scripted = new java.util.ArrayDeque<>(scripted());
            for (int step = 0; step < 20 * 60 * stepsPerSecond; step++) {
                Instant now = T0.plusMillis(step * 1000L / stepsPerSecond);
                while (!scripted.isEmpty() && !scripted.peekFirst().sendAt().isAfter(now)) {
                    scripted.removeFirst().send().accept(sink);
                }
                simulator.steps(1, now);
            }
            // Every agent keeps its own clock: a free idle event moves each of the fleet's to TICK.
            simulator.fleets().forEach((agent, fleet) -> sink.spend(SpendEvent.newBuilder().setEventId("tick-" + agent).setAgentId(agent)
                    .setFleet(fleet).setKind(SpendKind.IDLE).setCostMicros(0).setOccurredAt(TICK).build()));
            sink.flush();
            assertThat(sink.failed()).isZero();
            return sink.spendDelivered() + sink.outcomesDelivered();
        }
    }

    Path config(String id, TopicNames inputs, String bootstrap, Path schemas) throws IOException {
        return config(id, id, inputs, bootstrap, schemas, List.of());
    }

    /**
     * The config of one {@code asr streams} process of run {@code id} (its application id and output
     * topics), as instance {@code instance} (its file, state directory and port), with {@code extra} lines.
     */
    Path config(String id, String instance, TopicNames inputs, String bootstrap, Path schemas, List<String> extra) throws IOException {
        Path file = directory.resolve(instance + ".properties");
        Files.writeString(file, String.join("\n",
                "bootstrap.servers=" + bootstrap,
                "schema.registry.url=embedded:" + schemas,
                "application.id=asr-crash-" + id,
                "state.dir=" + directory.resolve("state-" + instance),
                "commit.interval.ms=100",
                "session.timeout.ms=10000",
                "asr.topic.spend=" + inputs.spend(),
                "asr.topic.outcomes=" + inputs.outcomes(),
                "asr.topic.agent-metrics=metrics-" + id,
                "asr.topic.band-transitions=transitions-" + id,
                "asr.topic.dlq=dlq-" + id,
                "asr.bucket=" + BUCKET.toSeconds() + "s",
                "asr.grace=" + GRACE.toSeconds() + "s",
                "asr.views=" + VIEW_SETTING,
                "asr.band.view=1m",
                "asr.task.timeout=" + TIMEOUT.toSeconds() + "s",
                "asr.wall-clock.interval=1s",
                "asr.max-clock-skew=5s",
                // Catch-up reads partitions out of event-time order on a busy machine: a minute of slack keeps fleet windows
                // open for the agents that lag (10 s dropped contributions under load).
                "asr.fleet.max-wait=60s",
                // Wait up to a second for both input partitions before taking records from one: reading order then follows
                // event time closely, as in production, where events arrive as they happen.
                "max.task.idle.ms=1000",
                "asr.streams.metrics-port=" + freePort(),
                String.join("\n", extra),
                ""));
        return file;
    }

    Process streams(Path config, String name) throws IOException {
        Path log = directory.resolve(name + ".log");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m", "-jar",
                Path.of("target", "asr.jar").toString(), "streams", "--config", config.toString(), "--create-topics", "3")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(process);
        return process;
    }

    /**
     * Waits until every agent's rows for the last closed bucket, the fleets' for it, and the silent
     * agent's timeout row and its fleet's are committed.
     */
    void awaitComplete(String bootstrap, String metricsTopic, Topics topics, Process process, String name) throws Exception {
        awaitComplete(bootstrap, metricsTopic, topics, Duration.ofSeconds(120), exited(process, name));
    }

    /**
     * Null while no agent's window came after its fleet's was written; else how many did (their
     * fleet rows would lack them, or be missing): the run cannot end with the reference's rows.
     */
    static String dropped(Path config) {
        try {
            long dropped = counter(metricsPort(config), "asr_fleet_contributions_dropped_total");
            return dropped > 0 ? dropped + " agents' windows came after their fleet's was written (asr_fleet_contributions_dropped_total)"
                    : null;
        } catch (IOException e) {
            return null; // the endpoint starts with the topology
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** Null while {@code process} runs; once it exited, that and the end of its log. */
    private java.util.function.Supplier<String> exited(Process process, String name) {
        return () -> {
            try {
                return process.isAlive() ? null : "asr streams exited; log:\n" + log(name);
            } catch (IOException e) {
                return "asr streams exited, and its log cannot be read: " + e;
            }
        };
    }

    /** As above, for as long as {@code within}, failing as soon as {@code trouble} names one (null: none). */
    void awaitComplete(String bootstrap, String metricsTopic, Topics topics, Duration within, java.util.function.Supplier<String> trouble)
            throws Exception {
        Set<String> last = new HashSet<>();
        Instant[] latest = new Instant[1];
        Deserializer<AgentWindowMetrics> deserializer = topics.agentMetrics().valueSerde().deserializer();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(bootstrap)) {
            long deadline = System.nanoTime() + within.toNanos();
            int wanted = AGENTS * VIEWS + FLEETS * VIEWS + 2 + 2 * VIEWS;
            while (last.size() < wanted) {
                assertThat(System.nanoTime()).as("rows of the last bucket within %s (%d of %d seen: %s; latest row ends %s)", within,
                        last.size(), wanted, last.size() > wanted - 12 ? last : "", latest[0]).isLessThan(deadline);
                String problem = trouble.get();
                assertThat(problem).as("trouble while waiting for the rows").isNull();
                if (consumer.subscription().isEmpty() && topicExists(consumer, metricsTopic)) {
                    consumer.subscribe(List.of(metricsTopic));
                }
                if (consumer.subscription().isEmpty()) {
                    Thread.sleep(200);
                    continue;
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    AgentWindowMetrics m = deserializer.deserialize(metricsTopic, r.value());
                    if (m.getAgentId() != null && (latest[0] == null || m.getWindowEnd().isAfter(latest[0]))) {
                        latest[0] = m.getWindowEnd();
                    }
                    if (m.getAgentId() != null && m.getWindowEnd().equals(LAST_END)) {
                        last.add(m.getAgentId() + "|" + m.getWindow());
                    } else if (m.getAgentId() == null && m.getWindowEnd().equals(LAST_END)) {
                        last.add("fleet:" + m.getFleet() + "|" + m.getWindow());
                    } else if ((LATE.equals(m.getAgentId()) || "scripted".equals(m.getFleet()) && m.getAgentId() == null)
                            && m.getWindowEnd().equals(LATE_COMPARED_TO)) {
                        last.add(m.getFleet() + "/" + m.getAgentId() + "|" + m.getWindow());
                    } else if (QUIET.equals(m.getAgentId()) && m.getWindow().equals("5s") && m.getWindowEnd().equals(QUIET_TIMEOUT_END)) {
                        last.add("timeout of " + QUIET);
                    } else if (m.getAgentId() == null && m.getFleet().equals("quiet") && m.getWindow().equals("5s")
                            && m.getWindowEnd().equals(QUIET_TIMEOUT_END)) {
                        last.add("fleet:quiet at the timeout");
                    }
                });
            }
        }
    }

    String log(String name) throws IOException {
        List<String> lines = Files.readAllLines(directory.resolve(name + ".log"));
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    /**
     * False while the cluster does not answer either: the fault suite cuts a broker off seconds
     * after the instances start, and a metadata request sent to it times out (CI, stop 20). The
     * caller asks again at its next turn, within its own deadline.
     */
    private static boolean topicExists(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        try {
            return consumer.listTopics(Duration.ofSeconds(5)).containsKey(topic);
        } catch (TimeoutException brokerUnreachable) {
            return false;
        }
    }

    static int metricsPort(Path config) throws IOException {
        return Integer.parseInt(Files.readString(config).replaceAll("(?s).*asr.streams.metrics-port=(\\d+).*", "$1"));
    }

    static long awaitProcessed(int port, long atLeast, Process process) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(process.isAlive()).as("asr streams is running").isTrue();
            try {
                long processed = counter(port, "asr_events_processed_total");
                if (processed >= atLeast) {
                    return processed;
                }
            } catch (IOException notUpYet) {
                // The endpoint starts with the topology.
            }
            Thread.sleep(20);
        }
        throw new AssertionError("asr streams did not process " + atLeast + " events within 90 s");
    }

    /**
     * Waits until {@code process} is RUNNING and processes at least one task of its own (it took
     * partitions over); fails after {@code within} or if it exits.
     */
    static long awaitActiveTasks(int port, Process process, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(process.isAlive()).as("asr streams is running").isTrue();
            try {
                long active = counter(port, "asr_streams_tasks{kind=\"active\"}");
                if (active > 0 && counter(port, "asr_streams_state{state=\"RUNNING\"}") == 1) {
                    return active;
                }
            } catch (IOException notUpYet) {
                // The endpoint starts with the topology.
            }
            Thread.sleep(100);
        }
        throw new AssertionError("asr streams took no task over within " + within);
    }

    /** A counter (or a gauge: a whole number) from the streams process's own /metrics; {@code name} may carry labels. */
    static long counter(int port, String name) throws IOException, InterruptedException {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        Matcher matcher = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)(\\.0)?$").matcher(body);
        return matcher.find() ? Long.parseLong(matcher.group(1)) : -1;
    }

    static List<String> difference(Map<String, AgentWindowMetrics> actual, Map<String, AgentWindowMetrics> expected) {
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

    static final class Rows {
        final Map<String, AgentWindowMetrics> agentRows = new HashMap<>();
        /** The last row written for each fleet window. */
        final Map<String, AgentWindowMetrics> fleetRows = new HashMap<>();
        long fleetRowsWritten;
        final List<String> duplicateAgentRows = new ArrayList<>();
        final Set<BandTransition> transitions = new HashSet<>();
        final List<String> duplicateTransitions = new ArrayList<>();
    }

    static Rows rows(String bootstrap, String metricsTopic, String transitionsTopic, Topics topics) {
        Rows rows = new Rows();
        Deserializer<AgentWindowMetrics> metrics = topics.agentMetrics().valueSerde().deserializer();
        for (byte[] value : readAll(bootstrap, metricsTopic)) {
            AgentWindowMetrics m = metrics.deserialize(metricsTopic, value);
            // The scripted agents are compared up to where each run waits for them.
            Instant compareTo = "quiet".equals(m.getFleet()) ? QUIET_TIMEOUT_END : "scripted".equals(m.getFleet()) ? LATE_COMPARED_TO
                    : LAST_END;
            if (m.getWindowEnd().isAfter(compareTo)) {
                continue;
            }
            if (m.getAgentId() != null) {
                String key = m.getAgentId() + "|" + m.getWindow() + "|" + m.getWindowEnd();
                if (rows.agentRows.put(key, m) != null) {
                    rows.duplicateAgentRows.add(key);
                }
            } else {
                rows.fleetRowsWritten++;
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
