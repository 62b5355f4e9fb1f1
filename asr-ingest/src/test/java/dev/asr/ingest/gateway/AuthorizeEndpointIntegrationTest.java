package dev.asr.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.allowances.service.AllowanceService;
import dev.asr.allowances.service.AllowanceSettings;
import dev.asr.allowances.service.DecisionsTopic;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.ingest.sdk.AgentReporter;
import dev.asr.ingest.sdk.AsrClient;
import dev.asr.ingest.sdk.AsrClientSettings;
import dev.asr.ingest.sdk.Authorization;
import dev.asr.ingest.sdk.Authorizer;
import dev.asr.ingest.sdk.TaskReport;
import dev.asr.ingest.testing.TopicContents;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** {@code POST /v1/authorize} on the real gateway, with the real allowance service on a real broker. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthorizeEndpointIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TRADING = "tok-trading-" + UUID.randomUUID();
    private static final String SUPPORT = "tok-support-" + UUID.randomUUID();

    private final HttpClient http = HttpClient.newHttpClient();
    private Path directory;
    private SchemaRegistry registry;
    private AllowanceService allowances;
    private IngestGateway gateway;
    private AllowanceService notReady;
    private IngestGateway restoring;
    private String bootstrap;
    private Topics topics;
    private TopicNames names;

    @BeforeAll
    void start() throws Exception {
        bootstrap = TestKafka.bootstrapServers();
        directory = TestKafka.temporaryDirectory("asr-authorize-it-");
        names = TestTopics.fresh();
        registry = RegistrySettings.embedded(directory.resolve("schemas")).open();
        topics = TestTopics.create(bootstrap, names, registry, 2);
        AllowanceSettings settings = AllowanceSettings.from(Map.of("asr.topic.decisions", "decisions-" + names.spend(),
                "asr.topic.allowance-events", "allowance-events-" + names.spend()));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            DecisionsTopic.ensure(admin, settings, 2, (short) 1);
        }
        allowances = AllowanceService.start(settings, Map.of("bootstrap.servers", bootstrap), topics, registry, Clock.systemUTC());
        assertThat(allowances.awaitReady(Duration.ofSeconds(60))).isTrue();
        Tokens tokens = Tokens.of(List.of(new Tokens.Grant(Tokens.hash(TRADING), Set.of("trading")),
                new Tokens.Grant(Tokens.hash(SUPPORT), Set.of("support"))));
        Map<String, String> gatewaySettings = Map.of("bootstrap.servers", bootstrap, "schema.registry.url", "embedded:"
                + directory.resolve("schemas"), "asr.ingest.port", "0", "asr.ingest.host", "127.0.0.1", "asr.topic.spend", names.spend(),
                "asr.topic.outcomes", names.outcomes());
        gateway = IngestGateway.start(GatewaySettings.from(gatewaySettings), tokens, allowances);
        notReady = AllowanceService.start(AllowanceSettings.from(Map.of("asr.topic.decisions", "missing-" + names.spend())),
                Map.of("bootstrap.servers", bootstrap), topics, registry, Clock.systemUTC());
        restoring = IngestGateway.start(GatewaySettings.from(gatewaySettings), tokens, notReady);
    }

    @AfterAll
    void stop() {
        restoring.close();
        notReady.close();
        gateway.close();
        allowances.close();
        TestKafka.deleteRecursively(directory);
    }

    @Test
    void allowsWithinTheUnratedAllowanceHoldsAndAnswersARetryTheSame() throws Exception {
        String body = "{\"authorization_id\":\"au-1\",\"fleet\":\"trading\",\"agent_id\":\"bot-1\",\"amount_micros\":500000,"
                + "\"kind\":\"TRANSACTION\"}";
        HttpResponse<String> first = post(gateway, "/v1/authorize", TRADING, body);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        JsonNode decision = JSON.readTree(first.body());
        assertThat(decision.path("decision").asText()).isEqualTo("ALLOW");
        assertThat(decision.path("reason").asText()).isEqualTo("within-allowance");
        assertThat(decision.path("band").asText()).isEqualTo("UNRATED");
        assertThat(decision.path("limit_micros").asLong()).isEqualTo(20_000_000);
        assertThat(decision.path("held_micros").asLong()).isEqualTo(500_000);
        assertThat(decision.path("remaining_micros").asLong()).isEqualTo(19_500_000);
        assertThat(decision.path("hold_expires_at").asText()).isNotBlank();
        HttpResponse<String> retry = post(gateway, "/v1/authorize", TRADING, body);
        assertThat(JSON.readTree(retry.body())).isEqualTo(decision);

        JsonNode tooBig = JSON.readTree(post(gateway, "/v1/authorize", TRADING,
                "{\"fleet\":\"trading\",\"agent_id\":\"bot-1\",\"amount_micros\":2000001}").body());
        assertThat(tooBig.path("decision").asText()).isEqualTo("DENY");
        assertThat(tooBig.path("reason").asText()).isEqualTo("over-max-spend");

        JsonNode released = JSON.readTree(post(gateway, "/v1/authorize/release", TRADING,
                "{\"fleet\":\"trading\",\"agent_id\":\"bot-1\",\"authorization_id\":\"au-1\"}").body());
        assertThat(released.path("released").asBoolean()).isTrue();
        assertThat(JSON.readTree(post(gateway, "/v1/authorize/release", TRADING,
                "{\"fleet\":\"trading\",\"agent_id\":\"bot-1\",\"authorization_id\":\"au-1\"}").body()).path("released").asBoolean()).isFalse();
        String scrape = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(scrape).contains("asr_ingest_requests_total{code=\"200\",endpoint=\"/v1/authorize\"}");
    }

    @Test
    void aTokenForAnotherFleetIsRefusedAndBadRequestsNameTheField() throws Exception {
        HttpResponse<String> cross = post(gateway, "/v1/authorize", SUPPORT, "{\"fleet\":\"trading\",\"agent_id\":\"bot-1\",\"amount_micros\":1}");
        assertThat(cross.statusCode()).isEqualTo(403);
        assertThat(cross.body()).contains("may not act for fleet trading");
        assertThat(post(gateway, "/v1/authorize", TRADING, "{\"fleet\":\"trading\",\"agent_id\":\"bot-1\",\"amount_micros\":1.5}").body())
                .contains("amount_micros must be a whole number");
        assertThat(post(gateway, "/v1/authorize", TRADING, "{\"fleet\":\"trading\",\"agent_id\":\"bot-1\",\"amount_micros\":1,"
                + "\"kind\":\"LUNCH\"}").statusCode()).isEqualTo(400);
        assertThat(post(gateway, "/v1/authorize", null, "{}").statusCode()).isEqualTo(401);
    }

    @Test
    void whileTheAllowancesAreNotReadyItFailsClosedWithRetryAfter() throws Exception {
        HttpResponse<String> answer = post(restoring, "/v1/authorize", TRADING, "{\"fleet\":\"trading\",\"agent_id\":\"bot-1\",\"amount_micros\":1}");
        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(answer.headers().firstValue("Retry-After")).isPresent();
        assertThat(JSON.readTree(answer.body()).path("reason").asText()).isEqualTo("not-ready");
        assertThat(answer.body()).contains("does not exist yet");
    }

    @Test
    void theOpenApiDocumentListsTheAuthorizeEndpoints() throws Exception {
        JsonNode document = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofString()).body());
        assertThat(document.path("paths").has("/v1/authorize")).isTrue();
        assertThat(document.path("paths").has("/v1/agents/{fleet}/{agent_id}")).isTrue();
        assertThat(document.path("paths").has("/v1/fleets/{fleet}")).isTrue();
        assertThat(document.path("paths").has("/v1/authorize/release")).isTrue();
        assertThat(document.at("/components/schemas/AuthorizationDecision/properties/reason/enum").toString())
                .contains("over-remaining", "propose-only");
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url() + path));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theReadApiGivesAnAgentsAllowanceAndAFleetsTotalsToItsFleetsTokenOnly() throws Exception {
        post(gateway, "/v1/authorize", TRADING, "{\"authorization_id\":\"read-1\",\"fleet\":\"trading\",\"agent_id\":\"reader-a\","
                + "\"amount_micros\":750000}");
        post(gateway, "/v1/authorize", TRADING, "{\"authorization_id\":\"read-2\",\"fleet\":\"trading\",\"agent_id\":\"reader-b\","
                + "\"amount_micros\":250000}");
        HttpResponse<String> agent = get("/v1/agents/trading/reader-a", TRADING);
        assertThat(agent.statusCode()).as(agent.body()).isEqualTo(200);
        JsonNode state = JSON.readTree(agent.body());
        assertThat(state.path("band").asText()).isEqualTo("UNRATED");
        assertThat(state.at("/allowance/limit_micros").asLong()).isEqualTo(20_000_000);
        assertThat(state.at("/allowance/held_micros").asLong()).isEqualTo(750_000);
        assertThat(state.at("/allowance/remaining_micros").asLong()).isEqualTo(19_250_000);
        assertThat(state.at("/allowance/burn_micros_per_second/5m").asDouble()).as("nothing spent yet, only held").isZero();
        assertThat(state.at("/allowance/seconds_to_exhaustion").isNull()).isTrue();
        assertThat(state.at("/allowance/mode").asText()).isEqualTo("autonomous");

        JsonNode fleet = JSON.readTree(get("/v1/fleets/trading", TRADING).body());
        assertThat(fleet.at("/agents_per_band/UNRATED").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(fleet.at("/allowance/held_micros").asLong()).isGreaterThanOrEqualTo(1_000_000);
        assertThat(fleet.path("agents").asInt()).isEqualTo(fleet.at("/agents_per_band/UNRATED").asInt()
                + fleet.at("/agents_per_band/REACTIVE").asInt() + fleet.at("/agents_per_band/ASSISTED").asInt()
                + fleet.at("/agents_per_band/SELF_DIRECTED").asInt());

        assertThat(get("/v1/agents/trading/reader-a", SUPPORT).statusCode()).as("another fleet's token").isEqualTo(403);
        assertThat(get("/v1/fleets/trading", SUPPORT).statusCode()).isEqualTo(403);
        assertThat(get("/v1/agents/trading/reader-a", null).statusCode()).isEqualTo(401);
        assertThat(get("/v1/agents/trading/nobody", TRADING).statusCode()).isEqualTo(404);
        assertThat(get("/v1/agents/trading", TRADING).statusCode()).as("no agent id").isEqualTo(404);
        assertThat(post(gateway, "/v1/agents/trading/reader-a", TRADING, "{}").statusCode()).isEqualTo(405);
        String scrape = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(scrape).as("one label for every agent path").contains("endpoint=\"/v1/agents/{fleet}/{agent_id}\"")
                .doesNotContain("reader-a\",code");
    }

    private HttpResponse<String> post(IngestGateway target, String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(target.url() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void thePythonExampleOfTheReadmeAsksBeforeItsTransactionAndReportsATask() throws Exception {
        Path example = Path.of("examples", "asr_report.py");
        Path readme = Path.of("..", "README.md");
        assertThat(Files.readString(readme)).as("the README quotes the example as it is")
                .contains(Files.readString(example).replace("#!/usr/bin/env python3\n", ""));
        Process python = new ProcessBuilder("python3", example.toString(), gateway.url() + "/", SUPPORT, "support")
                .redirectErrorStream(true).start();
        String output = new String(python.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(python.waitFor()).as(output).isZero();
        assertThat(output).contains("authorize: ALLOW within-allowance remaining 19500000",
                "spend: {'accepted': 3, 'rejected': 0, 'errors': []}", "outcome: {'accepted': 1, 'rejected': 0, 'errors': []}");

        List<SpendEvent> spend = TopicContents.read(bootstrap, topics.spend()).stream().map(ConsumerRecord::value)
                .filter(event -> event.getAgentId().equals("py-support-bot-1")).toList();
        List<OutcomeEvent> outcomes = TopicContents.read(bootstrap, topics.outcomes()).stream().map(ConsumerRecord::value)
                .filter(event -> event.getAgentId().equals("py-support-bot-1")).toList();
        assertThat(spend).extracting(SpendEvent::getCostMicros).containsExactlyInAnyOrder(1_800L, 300L, 500_000L);
        SpendEvent transaction = spend.stream().filter(event -> event.getKind() == SpendKind.TRANSACTION).findFirst().orElseThrow();
        assertThat(transaction.getAuthorizationId()).as("the spend carries its authorization").isNotBlank();
        assertThat(outcomes).singleElement().satisfies(outcome -> {
            assertThat(outcome.getValueMicros()).isEqualTo(4_000_000L);
            assertThat(outcome.getTaskId()).isEqualTo(spend.get(0).getTaskId());
        });
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (allowances.view("support", "py-support-bot-1").orElseThrow().spentMicros() != 502_100) {
            assertThat(System.nanoTime()).as("the allowance counts all three spends").isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(allowances.view("support", "py-support-bot-1").orElseThrow().heldMicros()).as("the spend replaced the hold").isZero();
    }

    @Test
    void theJavaSdkAsksThenSpendsWithTheAuthorizationAndNeverSpendsWithoutAnAnswer() throws Exception {
        AsrClientSettings sdk = AsrClientSettings.of(bootstrap, RegistrySettings.embedded(directory.resolve("schemas")))
                .withTopics(names);
        try (AsrClient client = AsrClient.create(sdk, Authorizer.of(gateway.url(), TRADING))) {
            AgentReporter agent = client.agent("sdk-bot", "trading");
            try (TaskReport task = agent.startTask("sdk-task-1")) {
                Authorization allowed = task.authorize(750_000, SpendKind.TRANSACTION);
                assertThat(allowed.allowed()).as(allowed.toString()).isTrue();
                assertThat(allowed.band()).isEqualTo("UNRATED");
                assertThat(allowed.heldMicros()).isEqualTo(750_000);
                assertThat(allowed.holdExpiresAt()).isAfter(Instant.now());
                task.transaction(700_000, allowed).get();
                Authorization review = task.authorize(1_500_000, SpendKind.TRANSACTION);
                assertThat(review.decision()).isEqualTo("REVIEW");
                assertThat(review.reason()).isEqualTo("over-review-threshold");
                assertThatThrownBy(() -> task.transaction(1_500_000, review))
                        .hasMessageContaining("did not allow");
                task.succeed(2_000_000, 0).get();
            }
            SpendEvent spent = TopicContents.read(bootstrap, topics.spend()).stream().map(ConsumerRecord::value)
                    .filter(event -> event.getAgentId().equals("sdk-bot")).findFirst().orElseThrow();
            assertThat(spent.getCostMicros()).isEqualTo(700_000);
            assertThat(spent.getTaskId()).isEqualTo("sdk-task-1");
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (allowances.view("trading", "sdk-bot").orElseThrow().heldMicros() != 0) {
                assertThat(System.nanoTime()).as("the spend replaced the hold").isLessThan(deadline);
                Thread.sleep(50);
            }
            assertThat(allowances.view("trading", "sdk-bot").orElseThrow().spentMicros()).isEqualTo(700_000);

            assertThatThrownBy(() -> client.agent("sdk-bot", "support").authorize(1, SpendKind.TRANSACTION))
                    .as("the trading token may not ask for support").hasMessageContaining("403").hasMessageContaining("may not act for fleet");
        }
        Authorizer impatient = Authorizer.of(URI.create(restoring.url()), TRADING, Duration.ofSeconds(2));
        assertThatThrownBy(() -> impatient.authorize("trading", "sdk-bot", 1, SpendKind.TRANSACTION, null))
                .isInstanceOf(Authorizer.AuthorizationUnavailableException.class).hasMessageContaining("do not spend")
                .hasMessageContaining("503");
        try (AsrClient reportingOnly = AsrClient.create(AsrClientSettings.of(bootstrap, RegistrySettings.embedded(directory.resolve("schemas"))))) {
            assertThatThrownBy(() -> reportingOnly.agent("a", "trading").authorize(1, SpendKind.TRANSACTION))
                    .hasMessageContaining("Authorizer.of");
        }
    }
}
