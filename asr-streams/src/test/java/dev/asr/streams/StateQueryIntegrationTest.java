package dev.asr.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.AgentWindowMetrics;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import dev.asr.streams.query.StateEndpoint;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read API's figures come from the topology's stores (interactive queries), from whichever
 * instance is asked: two instances of one application share three partitions on a real broker;
 * every agent and the fleets are asked of one instance, which answers its own partitions and
 * routes the others to their owner. Each answer equals, field by field, the row the topology wrote
 * to {@code asr.agent-metrics.v1} for the same agent (or fleet), view and window end.
 */
class StateQueryIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(16));
    private static final List<String> LIVE = List.of("open_spend_micros", "last_event_at");

    @TempDir
    Path directory;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void everyInstanceAnswersEveryAgentAndFleetWithTheFiguresOfItsLatestRows() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        TopicNames names = TestTopics.fresh();
        Topics topics = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(directory.resolve("schemas")), 3);
        String application = "asr-it-query-" + UUID.randomUUID().toString().substring(0, 8);
        StreamsSettings settings = StreamsSettings.from(Map.of("asr.streams.metrics-port", "0", "asr.grace", "10s"));
        List<String> agents = List.of("a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8");
        try (StreamsService first = StreamsService.start(settings, config(bootstrap, application, "one"), topics);
             StreamsService second = StreamsService.start(settings, config(bootstrap, application, "two"), topics);
             KafkaConsumer<byte[], AgentWindowMetrics> rows = consumer(bootstrap, names, topics)) {
            assertThat(first.awaitRunning(Duration.ofSeconds(90))).isTrue();
            assertThat(second.awaitRunning(Duration.ofSeconds(90))).isTrue();
            try (ScriptedFleet fleet = new ScriptedFleet(bootstrap, topics)) {
                for (int minute = 0; minute < 10; minute++) {
                    for (int i = 0; i < agents.size(); i++) {
                        for (int task = 0; task < 4; task++) {
                            fleet.task(agents.get(i), i % 2 == 0 ? "even" : "odd", agents.get(i) + "-" + minute + "-" + task,
                                    10_000L * (i + 1), task < (i + minute) % 5, T0.plus(Duration.ofMinutes(minute)).plusSeconds(task * 10L));
                        }
                    }
                }
                for (int i = 0; i < agents.size(); i++) {
                    fleet.tick(agents.get(i), i % 2 == 0 ? "even" : "odd", T0.plus(Duration.ofMinutes(14)));
                }
                fleet.flush();
            }
            Map<String, AgentWindowMetrics> written = new HashMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (!hasRowsForAll(written, agents) && System.nanoTime() < deadline) {
                poll(rows, written);
            }
            assertThat(hasRowsForAll(written, agents)).as("every agent's rows up to minute 12 and both fleets' within 120 s").isTrue();

            Set<String> servedBy = new HashSet<>();
            for (StreamsService asked : List.of(first, second)) {
                for (int i = 0; i < agents.size(); i++) {
                    String fleet = i % 2 == 0 ? "even" : "odd";
                    HttpResponse<String> answer = get(asked, "/v1/state/agents/" + fleet + "/" + agents.get(i));
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                    servedBy.add(answer.headers().firstValue(StateEndpoint.SERVED_BY).orElseThrow());
                    JsonNode body = JSON.readTree(answer.body());
                    assertThat(body.get("agent_id").asText()).isEqualTo(agents.get(i));
                    assertThat(body.get("views").size()).isEqualTo(4);
                    for (Iterator<Map.Entry<String, JsonNode>> views = body.get("views").fields(); views.hasNext(); ) {
                        Map.Entry<String, JsonNode> view = views.next();
                        AgentWindowMetrics row = awaitRow(rows, written, agents.get(i) + "|" + fleet + "|" + view.getKey() + "|"
                                + view.getValue().get("window_end").asText());
                        assertSameFigures(view.getValue(), row, agents.get(i) + " " + view.getKey());
                    }
                }
                for (String fleet : List.of("even", "odd")) {
                    HttpResponse<String> answer = get(asked, "/v1/state/fleets/" + fleet);
                    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                    JsonNode views = JSON.readTree(answer.body()).get("views");
                    assertThat(views.size()).isEqualTo(4);
                    for (Iterator<Map.Entry<String, JsonNode>> each = views.fields(); each.hasNext(); ) {
                        Map.Entry<String, JsonNode> view = each.next();
                        AgentWindowMetrics row = awaitRow(rows, written, "|" + fleet + "|" + view.getKey() + "|"
                                + view.getValue().get("window_end").asText());
                        assertSameFigures(view.getValue(), row, fleet + " " + view.getKey());
                        assertThat(view.getValue().get("agents").asInt()).isEqualTo(4);
                    }
                }
            }
            assertThat(servedBy).as("each instance owns some agents; the other's are routed to it").hasSize(2);

            HttpResponse<String> unknown = get(first, "/v1/state/agents/even/" + URLEncoder.encode("nobody here/x", StandardCharsets.UTF_8));
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).contains("holds no figures for agent nobody here/x of fleet even");
            assertThat(get(first, "/v1/state/agents/even").statusCode()).isEqualTo(404);
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(baseUrl(first) + "/v1/state/fleets/even"))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);

            // With one instance gone, the survivor takes its partitions over and answers every agent itself.
            second.close();
            Set<String> after = new HashSet<>();
            long until = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            for (String agent : agents) {
                HttpResponse<String> answer;
                do {
                    answer = get(first, "/v1/state/agents/" + (agents.indexOf(agent) % 2 == 0 ? "even" : "odd") + "/" + agent);
                    if (answer.statusCode() != 200) {
                        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
                        assertThat(answer.headers().firstValue("Retry-After")).isPresent();
                        Thread.sleep(500);
                    }
                } while (answer.statusCode() != 200 && System.nanoTime() < until);
                assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
                after.add(answer.headers().firstValue(StateEndpoint.SERVED_BY).orElseThrow());
            }
            assertThat(after).hasSize(1);
            assertThat(first.state()).isIn(KafkaStreams.State.RUNNING, KafkaStreams.State.REBALANCING);
        }
    }

    private Map<String, Object> config(String bootstrap, String application, String instance) {
        return StreamsSettings.streamsConfig(Map.of("bootstrap.servers", bootstrap, "application.id", application,
                "state.dir", directory.resolve("state-" + instance).toString(), "commit.interval.ms", "200"));
    }

    private HttpResponse<String> get(StreamsService instance, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(baseUrl(instance) + path)).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String baseUrl(StreamsService instance) {
        return instance.metricsUrl().replace("/metrics", "");
    }

    private static boolean hasRowsForAll(Map<String, AgentWindowMetrics> written, List<String> agents) {
        String end = T0.plus(Duration.ofMinutes(12)).toString();
        for (int i = 0; i < agents.size(); i++) {
            if (!written.containsKey(agents.get(i) + "|" + (i % 2 == 0 ? "even" : "odd") + "|5m|" + end)) {
                return false;
            }
        }
        return written.containsKey("|even|5m|" + end) && written.containsKey("|odd|5m|" + end);
    }

    /** The row of that key: state read from the store may be ahead of the committed output by one commit. */
    private static AgentWindowMetrics awaitRow(KafkaConsumer<byte[], AgentWindowMetrics> rows, Map<String, AgentWindowMetrics> written,
            String key) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!written.containsKey(key) && System.nanoTime() < deadline) {
            poll(rows, written);
        }
        assertThat(written).as("a row for " + key).containsKey(key);
        return written.get(key);
    }

    private static void assertSameFigures(JsonNode answered, AgentWindowMetrics row, String what) {
        Map<String, Object> fields = new HashMap<>();
        row.getSchema().getFields().forEach(f -> fields.put(f.name(), row.get(f.pos())));
        answered.fields().forEachRemaining(field -> {
            if (LIVE.contains(field.getKey())) {
                return;
            }
            Object expected = fields.get(field.getKey());
            JsonNode value = field.getValue();
            String shown = value.isNull() ? null : value.isTextual() ? value.asText() : value.isIntegralNumber() ? Long.toString(value.asLong())
                    : Double.toString(value.asDouble());
            String wanted = expected == null ? null : expected instanceof Integer n ? Long.toString(n) : expected.toString();
            assertThat(shown).as(what + " " + field.getKey()).isEqualTo(wanted);
        });
    }

    private static KafkaConsumer<byte[], AgentWindowMetrics> consumer(String bootstrap, TopicNames names, Topics topics) {
        KafkaConsumer<byte[], AgentWindowMetrics> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(),
                topics.agentMetrics().valueSerde().deserializer());
        consumer.subscribe(List.of(names.agentMetrics()));
        return consumer;
    }

    private static void poll(KafkaConsumer<byte[], AgentWindowMetrics> rows, Map<String, AgentWindowMetrics> written) {
        rows.poll(Duration.ofMillis(200)).forEach(r -> {
            AgentWindowMetrics m = r.value();
            written.put((m.getAgentId() == null ? "" : m.getAgentId()) + "|" + m.getFleet() + "|" + m.getWindow() + "|" + m.getWindowEnd(), m);
        });
    }
}
