package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.allowances.service.AllowanceService;
import dev.asr.allowances.service.AllowanceSettings;
import dev.asr.allowances.service.DecisionsTopic;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.ingest.gateway.GatewaySettings;
import dev.asr.ingest.gateway.IngestGateway;
import dev.asr.ingest.gateway.Tokens;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import dev.asr.streams.StreamsService;
import dev.asr.streams.StreamsSettings;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The read API end to end: events and an authorization posted to the real gateway, the real
 * topology on a real broker, and {@code GET /v1/agents/{fleet}/{agent_id}} and {@code GET
 * /v1/fleets/{fleet}} answering with one token both the allowance state (the gateway's) and the
 * figures per view (the topology's stores, asked at {@code asr.ingest.state-url}), with the
 * numbers the events add up to. A gateway whose topology does not answer still serves the
 * allowance half and says why the figures are missing.
 */
class ReadApiIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "tok-" + UUID.randomUUID();
    private static final String OTHER_FLEET = "tok-" + UUID.randomUUID();
    private static final Instant T0 = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(12));

    @TempDir
    Path directory;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void oneTokenReadsTheAllowanceAndTheFiguresPerViewOfAnAgentAndItsFleet() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        TopicNames names = TestTopics.fresh();
        try (SchemaRegistry registry = RegistrySettings.embedded(directory.resolve("schemas")).open()) {
            Topics topics = TestTopics.create(bootstrap, names, registry, 1);
            AllowanceSettings allowanceSettings = AllowanceSettings.from(Map.of("asr.topic.decisions", "decisions-" + names.spend(),
                    "asr.topic.allowance-events", "allowance-events-" + names.spend()));
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                DecisionsTopic.ensure(admin, allowanceSettings, 1, (short) 1);
            }
            Map<String, Object> streamsConfig = StreamsSettings.streamsConfig(Map.of("bootstrap.servers", bootstrap,
                    "application.id", "asr-it-read-" + UUID.randomUUID().toString().substring(0, 8),
                    "state.dir", directory.resolve("state").toString(), "commit.interval.ms", "200"));
            Tokens tokens = Tokens.of(List.of(new Tokens.Grant(Tokens.hash(TOKEN), Set.of("trading")),
                    new Tokens.Grant(Tokens.hash(OTHER_FLEET), Set.of("support"))));
            try (StreamsService streams = StreamsService.start(StreamsSettings.from(Map.of("asr.streams.metrics-port", "0",
                    "asr.grace", "10s")), streamsConfig, topics);
                 AllowanceService allowances = AllowanceService.start(allowanceSettings, Map.of("bootstrap.servers", bootstrap), topics,
                         registry, Clock.systemUTC());
                 IngestGateway gateway = IngestGateway.start(gatewaySettings(bootstrap, names, streams.stateUrl()), tokens, allowances);
                 IngestGateway blind = IngestGateway.start(gatewaySettings(bootstrap, names, "http://127.0.0.1:" + closedPort()), tokens,
                         allowances)) {
                assertThat(allowances.awaitReady(Duration.ofSeconds(60))).isTrue();
                for (int minute = 0; minute < 5; minute++) {
                    Instant at = T0.plus(Duration.ofMinutes(minute));
                    post(gateway, "/v1/spend", "{\"event_id\":\"s" + minute + "\",\"fleet\":\"trading\",\"agent_id\":\"reader\",\"task_id\":\"t"
                            + minute + "\",\"kind\":\"INFERENCE\",\"cost_micros\":100000,\"input_tokens\":1000,\"output_tokens\":100,"
                            + "\"occurred_at\":\"" + at + "\"}", 202);
                    post(gateway, "/v1/outcomes", "{\"event_id\":\"o" + minute + "\",\"fleet\":\"trading\",\"agent_id\":\"reader\",\"task_id\":\"t"
                            + minute + "\",\"status\":\"" + (minute < 4 ? "SUCCEEDED" : "FAILED") + "\",\"value_micros\":"
                            + (minute < 4 ? 300000 : 0) + ",\"occurred_at\":\"" + at.plusSeconds(1) + "\"}", 202);
                }
                post(gateway, "/v1/spend", "{\"event_id\":\"tick\",\"fleet\":\"trading\",\"agent_id\":\"reader\",\"kind\":\"IDLE\","
                        + "\"cost_micros\":0,\"occurred_at\":\"" + T0.plus(Duration.ofMinutes(8)) + "\"}", 202);
                JsonNode decision = JSON.readTree(post(gateway, "/v1/authorize", "{\"authorization_id\":\"a1\",\"fleet\":\"trading\","
                        + "\"agent_id\":\"reader\",\"amount_micros\":1000000,\"kind\":\"TRANSACTION\"}", 200));
                assertThat(decision.path("decision").asText()).isEqualTo("ALLOW");

                JsonNode agent = await(gateway, "/v1/agents/trading/reader", a -> a.at("/figures/views/1h/settled_tasks").asLong() == 5);
                assertThat(agent.at("/allowance/held_micros").asLong()).as("the open authorization").isEqualTo(1_000_000);
                assertThat(agent.at("/allowance/spent_micros").asLong()).isEqualTo(500_000);
                JsonNode hour = agent.at("/figures/views/1h");
                assertThat(hour.get("spend_micros").asLong()).isEqualTo(500_000);
                assertThat(hour.get("autonomous_tasks").asLong()).isEqualTo(4);
                assertThat(hour.get("asr").asDouble()).as("400,000 of 500,000 spent on autonomous tasks").isEqualTo(0.8);
                assertThat(hour.get("input_tokens").asLong()).isEqualTo(5_000);
                assertThat(hour.get("window_end").asText()).isEqualTo(agent.at("/figures/closed_up_to").asText());
                assertThat(agent.at("/figures/views").size()).isEqualTo(4);
                assertThat(agent.at("/figures/band").asText()).as("ASR 0.8 over 5 settled tasks").isEqualTo("SELF_DIRECTED");
                assertThat(agent.path("figures_unavailable").isMissingNode()).isTrue();

                JsonNode fleet = await(gateway, "/v1/fleets/trading", f -> f.at("/figures/views/1h/settled_tasks").asLong() == 5);
                assertThat(fleet.at("/figures/views/1h/agents").asInt()).isEqualTo(1);
                assertThat(fleet.at("/allowance/held_micros").asLong()).isEqualTo(1_000_000);
                assertThat(fleet.at("/agents").asInt()).as("agents the allowances know").isEqualTo(1);

                assertThat(get(gateway, "/v1/agents/trading/reader", OTHER_FLEET).statusCode()).isEqualTo(403);
                assertThat(get(gateway, "/v1/fleets/trading", OTHER_FLEET).statusCode()).isEqualTo(403);
                HttpResponse<String> nobody = get(gateway, "/v1/agents/trading/nobody", TOKEN);
                assertThat(nobody.statusCode()).as(nobody.body()).isEqualTo(404);
                assertThat(nobody.body()).contains("no agent nobody in fleet trading", "holds no figures");

                HttpResponse<String> control = get(gateway, "/v1/agents/trading/a%1Fb", TOKEN);
                assertThat(control.statusCode()).as("no id holds a control character").isEqualTo(404);
                assertThat(control.body()).contains("agent_id holds the control character U+001F");

                HttpResponse<String> partial = get(blind, "/v1/agents/trading/reader", TOKEN);
                assertThat(partial.statusCode()).as(partial.body()).isEqualTo(200);
                JsonNode half = JSON.readTree(partial.body());
                assertThat(half.at("/allowance/held_micros").asLong()).isEqualTo(1_000_000);
                assertThat(half.get("figures").isNull()).isTrue();
                assertThat(half.get("figures_unavailable").asText()).contains("asr.ingest.state-url", "did not answer");
                HttpResponse<String> unknownBlind = get(blind, "/v1/agents/trading/nobody", TOKEN);
                assertThat(unknownBlind.statusCode()).as("neither half can say: ask again").isEqualTo(503);
                assertThat(unknownBlind.headers().firstValue("Retry-After")).isPresent();
            }
        }
    }

    private GatewaySettings gatewaySettings(String bootstrap, TopicNames names, String stateUrl) {
        Map<String, String> settings = new HashMap<>(Map.of("bootstrap.servers", bootstrap, "schema.registry.url", "embedded:" + directory.resolve("schemas"),
                "asr.ingest.port", "0", "asr.ingest.host", "127.0.0.1", "asr.topic.spend", names.spend(), "asr.topic.outcomes",
                names.outcomes(), "asr.ingest.state-url", stateUrl));
        return GatewaySettings.from(settings);
    }

    private static int closedPort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private JsonNode await(IngestGateway gateway, String path, java.util.function.Predicate<JsonNode> done) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        JsonNode last = null;
        while (System.nanoTime() < deadline) {
            HttpResponse<String> answer = get(gateway, path, TOKEN);
            if (answer.statusCode() == 200) {
                last = JSON.readTree(answer.body());
                if (done.test(last)) {
                    return last;
                }
            }
            Thread.sleep(300);
        }
        throw new AssertionError(path + " did not show the expected figures within 90 s; last answer: " + last);
    }

    private String post(IngestGateway gateway, String path, String body, int expected) throws Exception {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + path)).header("Authorization", "Bearer "
                + TOKEN).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(path + " " + answer.body()).isEqualTo(expected);
        return answer.body();
    }

    private HttpResponse<String> get(IngestGateway gateway, String path, String token) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.url() + path)).header("Authorization", "Bearer " + token).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
