package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.allowances.service.AllowanceSettings;
import dev.asr.allowances.service.DecisionsTopic;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.AuthorizationDecision;
import dev.asr.event.SpendEvent;
import dev.asr.event.Verdict;
import dev.asr.ingest.gateway.Tokens;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.serde.AvroSerde;
import dev.asr.schemas.testing.TestTopics;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The deciding process ({@code asr ingest}, the real jar) SIGKILLed under load and started again.
 * Eight clients ask for four agents (each $100 a day, at most $10 at once), each retrying its
 * request with the same {@code authorization_id} until it gets an answer, and spend half of what
 * they were allowed, carrying the authorization. The load runs the agents out of allowance across
 * the kill. Then: every authorization has exactly one decision on {@code asr.decisions.v1}, the one
 * its client got (a retry across the restart is answered from the topic, never decided twice); no
 * agent was allowed more than its limit; and the restarted process's spent and held equal what the
 * decisions and spend topics say.
 *
 * <p>The same with two deciding processes ({@code asr.allowance.advertised-url}): the clients ask
 * either; one is SIGKILLed, the other takes its agents over (after the group's session timeout),
 * the killed one starts again and takes some back. The same checks hold, through either gateway.
 */
class AllowanceCrashIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "tok-crash-" + System.nanoTime();
    private static final long DOLLAR = 1_000_000;
    private static final long LIMIT = 100 * DOLLAR;
    private static final int AGENTS = 4;
    private static final int CLIENTS = 8;
    private static final int REQUESTS_EACH = 50;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Process> processes = new ArrayList<>();
    private Path directory;

    /** What a client was answered, by authorization id. */
    private record Answered(String agent, long amount, String decision, String reason) {}

    @BeforeEach
    void directory() throws IOException {
        directory = TestKafka.temporaryDirectory("asr-allowance-crash-");
    }

    @AfterEach
    void stop() throws Exception {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
        TestKafka.deleteRecursively(directory);
    }

    @Test
    void aSigkilledDecidingProcessRestartsWithSpentAndHeldAsTheTopicsSayAndNeverDecidesTwice() throws Exception {
        crash(1);
    }

    @Test
    void ofTwoDecidingProcessesOneIsSigkilledTheOtherTakesItsAgentsOverAndNothingIsDecidedTwiceOrOverAllowed() throws Exception {
        crash(2);
    }

    /** {@code deciders} processes; the first SIGKILLed a quarter into the load and started again. */
    private void crash(int deciders) throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        TopicNames names = TestTopics.fresh();
        Path schemas = directory.resolve("schemas");
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(schemas);
        Topics topics = TestTopics.create(bootstrap, names, registry, 3);
        Map<String, String> allowance = Map.of("asr.topic.decisions", "decisions-" + names.spend(), "asr.topic.allowance-events",
                "allowance-events-" + names.spend());
        AllowanceSettings settings = AllowanceSettings.from(allowance);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            DecisionsTopic.ensure(admin, settings, 3, (short) 1);
        }
        Path tokens = directory.resolve("tokens");
        Files.writeString(tokens, Tokens.line(TOKEN, "*") + "\n");
        List<String> bases = new ArrayList<>();
        List<Path> configs = new ArrayList<>();
        for (int d = 0; d < deciders; d++) {
            int port = freePort();
            bases.add("http://127.0.0.1:" + port);
            Path config = directory.resolve("asr-" + d + ".properties");
            configs.add(config);
            Files.writeString(config, String.join("\n",
                deciders == 1 ? "" : "asr.allowance.advertised-url=http://127.0.0.1:" + port,
                "asr.allowance.session-timeout=6s",
                "asr.allowance.group=deciders-" + names.spend(),
                "asr.ingest.port=" + port,
                "asr.ingest.host=127.0.0.1",
                "asr.ingest.tokens-file=" + tokens,
                "schema.registry.url=embedded:" + schemas,
                "asr.topic.spend=" + names.spend(),
                "asr.topic.outcomes=" + names.outcomes(),
                "asr.topic.agent-metrics=" + names.agentMetrics(),
                "asr.topic.band-transitions=" + names.bandTransitions(),
                "asr.topic.dlq=" + names.deadLetters(),
                "asr.topic.decisions=" + settings.decisionsTopic(),
                "asr.topic.allowance-events=" + settings.eventsTopic(),
                "asr.allowance.unrated.limit=100",
                "asr.allowance.unrated.max-spend=10",
                "asr.allowance.unrated.review-above=10",
                ""));
        }
        for (int d = 0; d < deciders; d++) {
            start(configs.get(d), bootstrap, "first-" + d);
        }
        for (int d = 0; d < deciders; d++) {
            awaitReady(bases.get(d), "first-" + d);
        }

        Map<String, Answered> answered = new ConcurrentHashMap<>();
        Map<String, Long> spentById = new ConcurrentHashMap<>();
        AtomicInteger done = new AtomicInteger();
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> running = new ArrayList<>();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            // Each client asks its own gateway first and the other when that one does not answer.
            List<String> asked = new ArrayList<>(bases.subList(client % deciders, deciders));
            asked.addAll(bases.subList(0, client % deciders));
            running.add(clients.submit(() -> {
                Random random = new Random(client);
                for (int n = 0; n < REQUESTS_EACH; n++) {
                    String id = "c" + client + "-" + n;
                    String agent = "crash-" + random.nextInt(AGENTS);
                    long amount = random.nextLong(DOLLAR, 6 * DOLLAR);
                    JsonNode decision = JSON.readTree(untilAnswered(asked, "/v1/authorize", "{\"authorization_id\":\"" + id
                            + "\",\"fleet\":\"ops\",\"agent_id\":\"" + agent + "\",\"amount_micros\":" + amount + ",\"kind\":\"TRANSACTION\"}"));
                    answered.put(id, new Answered(agent, amount, decision.path("decision").asText(), decision.path("reason").asText()));
                    if (decision.path("decision").asText().equals("ALLOW") && n % 2 == 0) {
                        long cost = amount - 100_000;
                        untilAnswered(asked, "/v1/spend", "{\"event_id\":\"s-" + id + "\",\"fleet\":\"ops\",\"agent_id\":\"" + agent
                                + "\",\"kind\":\"TRANSACTION\",\"cost_micros\":" + cost + ",\"authorization_id\":\"" + id + "\"}");
                        spentById.put(id, cost);
                    }
                    done.incrementAndGet();
                }
                return null;
            }));
        }
        while (done.get() < CLIENTS * REQUESTS_EACH / 4) {
            Thread.sleep(5);
        }
        processes.get(0).destroyForcibly();
        assertThat(processes.get(0).waitFor(10, TimeUnit.SECONDS)).isTrue();
        int atKill = done.get();
        if (deciders > 1) {
            // The other takes the killed one's partitions over once the group's session timeout (6 s) passed, then it is back.
            Thread.sleep(10_000);
        }
        start(configs.get(0), bootstrap, "second");
        for (Future<?> client : running) {
            client.get(180, TimeUnit.SECONDS);
        }
        clients.shutdown();
        assertThat(atKill).as("killed mid-load").isLessThan(CLIENTS * REQUESTS_EACH);
        assertThat(answered.values()).as("the load ran agents out of allowance").anyMatch(a -> a.reason().equals("over-remaining"));

        // Exactly one decision per authorization on the topic, and it is the one the client got.
        Map<String, List<AuthorizationDecision>> onTopic = new HashMap<>();
        AvroSerde<AuthorizationDecision> decisions = AvroSerde.forValues(AuthorizationDecision.class, registry);
        for (AuthorizationDecision record : read(bootstrap, settings.decisionsTopic(), decisions::decode)) {
            if (record.getVerdict() != Verdict.RELEASE && record.getAgentId().startsWith("crash-")) {
                onTopic.computeIfAbsent(record.getAuthorizationId(), k -> new ArrayList<>()).add(record);
            }
        }
        assertThat(onTopic.keySet()).isEqualTo(answered.keySet());
        answered.forEach((id, answer) -> {
            assertThat(onTopic.get(id)).as("decisions of %s", id).hasSize(1);
            assertThat(onTopic.get(id).get(0).getVerdict().name()).as(id).isEqualTo(answer.decision());
        });

        // Never over-allowed: what each agent spent and holds of its ALLOWs stays within its limit. A
        // spend the gateway wrote but could not answer before the kill is on the topic twice (the
        // client sent it again): it counts once, by its event_id.
        Map<String, Long> spendOnTopic = new HashMap<>();
        Map<String, SpendEvent> distinct = new HashMap<>();
        for (SpendEvent spend : read(bootstrap, names.spend(), topics.spend().valueSerde().deserializer()::deserialize)) {
            distinct.putIfAbsent(spend.getEventId(), spend);
        }
        distinct.values().forEach(spend -> spendOnTopic.merge(spend.getAgentId(), spend.getCostMicros(), Long::sum));
        for (int a = 0; a < AGENTS; a++) {
            String agent = "crash-" + a;
            long spent = 0;
            long held = 0;
            for (Map.Entry<String, Answered> entry : answered.entrySet()) {
                if (entry.getValue().agent().equals(agent) && entry.getValue().decision().equals("ALLOW")) {
                    Long cost = spentById.get(entry.getKey());
                    spent += cost == null ? 0 : cost;
                    held += cost == null ? entry.getValue().amount() : 0;
                }
            }
            assertThat(spent + held).as("%s: spent + held of its ALLOWs", agent).isLessThanOrEqualTo(LIMIT);
            assertThat(spendOnTopic.getOrDefault(agent, 0L)).as("%s: the spend topic, each event_id once", agent).isEqualTo(spent);
            long expectedSpent = spent;
            long expectedHeld = held;
            awaitView(bases, agent, "spent " + spent + ", held " + held, view -> view.path("spent_micros").asLong() == expectedSpent
                    && view.path("held_micros").asLong() == expectedHeld);
        }
    }

    /**
     * Posts until a 200 or 202 comes back (connection refused while the process restarts, 503 while
     * it restores or its partitions move), to the first of {@code bases}, the next while it does not answer.
     */
    private String untilAnswered(List<String> bases, String path, String body) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        int next = 0;
        while (true) {
            String url = bases.get(next++ % bases.size()) + path;
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                        .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() == 200 || response.statusCode() == 202) {
                    return response.body();
                }
                assertThat(response.statusCode()).as(response.body()).isIn(503, 429);
                next--; // the same gateway again: it answers, and says when to retry
            } catch (IOException restarting) {
                // The process is down: ask again, with the same ids.
            }
            assertThat(System.nanoTime()).as("an answer to %s within 120 s", body).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    /** The agent's cash view, from a request the rules refuse (amount 0: DENY invalid-request, nothing held). */
    private void awaitView(List<String> bases, String agent, String wanted, java.util.function.Predicate<JsonNode> expected)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            List<JsonNode> views = new ArrayList<>();
            for (String base : bases) {
                views.add(JSON.readTree(untilAnswered(List.of(base), "/v1/authorize", "{\"fleet\":\"ops\",\"agent_id\":\"" + agent
                        + "\",\"amount_micros\":0}")));
            }
            if (views.stream().allMatch(expected)) {
                return;
            }
            assertThat(System.nanoTime()).as("%s's view as the topics say (%s) within 60 s, at every gateway; now %s", agent, wanted, views)
                    .isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private void awaitReady(String base, String name) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try {
                if (http.send(HttpRequest.newBuilder(URI.create(base + "/readyz")).build(), HttpResponse.BodyHandlers.ofString())
                        .statusCode() == 200) {
                    return;
                }
            } catch (IOException starting) {
                // not listening yet
            }
            assertThat(System.nanoTime()).as("asr ingest ready within 90 s: %s", Files.readString(directory.resolve(name + ".log")))
                    .isLessThan(deadline);
            Thread.sleep(200);
        }
    }

    private void start(Path config, String bootstrap, String name) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m", "-jar",
                Path.of("target", "asr.jar").toString(), "ingest", "--config", config.toString(), "--bootstrap-servers", bootstrap);
        processes.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(directory.resolve(name + ".log").toFile()).start());
    }

    private interface Decoder<T> {
        T decode(String topic, byte[] bytes);
    }

    private static <T> List<T> read(String bootstrap, String topic, Decoder<T> decoder) {
        List<T> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap, "isolation.level",
                "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    all.add(decoder.decode(topic, record.value()));
                }
            }
        }
        return all;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
