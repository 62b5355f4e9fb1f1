package dev.asr.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.allowances.service.AllowanceService;
import dev.asr.allowances.service.AllowanceSettings;
import dev.asr.allowances.service.DecisionsTopic;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.testing.RealPrometheus;
import dev.asr.schemas.testing.TestTopics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus scrapes the real gateway (allowances on a real broker) every second with the
 * shipped rules. A scripted agent asks before each spend and spends fast: 14 ALLOWs of 1.00 and
 * their spend within a minute, 70 % of its 20.00 daily limit, is 16.8x the daily pace over the hour
 * and more over 5 minutes; the fast burn-rate alert fires for it, not for a calm agent beside it.
 */
class AllowanceAlertIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN = "tok-" + UUID.randomUUID();

    @TempDir
    Path directory;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anAgentSpendingFastFiresTheFastBurnAlert() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        TopicNames names = TestTopics.fresh();
        try (SchemaRegistry registry = RegistrySettings.embedded(directory.resolve("schemas")).open()) {
            Topics topics = TestTopics.create(bootstrap, names, registry, 1);
            AllowanceSettings settings = AllowanceSettings.from(Map.of("asr.topic.decisions", "decisions-" + names.spend(),
                    "asr.topic.allowance-events", "allowance-events-" + names.spend()));
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                DecisionsTopic.ensure(admin, settings, 1, (short) 1);
            }
            Map<String, String> gatewaySettings = Map.of("bootstrap.servers", bootstrap, "schema.registry.url", "embedded:"
                    + directory.resolve("schemas"), "asr.ingest.port", "0", "asr.ingest.host", "127.0.0.1", "asr.topic.spend", names.spend(),
                    "asr.topic.outcomes", names.outcomes());
            try (AllowanceService allowances = AllowanceService.start(settings, Map.of("bootstrap.servers", bootstrap), topics, registry,
                    Clock.systemUTC());
                 IngestGateway gateway = IngestGateway.start(GatewaySettings.from(gatewaySettings),
                         Tokens.of(List.of(new Tokens.Grant(Tokens.hash(TOKEN), Set.of("trading")))), allowances);
                 RealPrometheus prometheus = RealPrometheus.start(directory.resolve("prometheus"),
                         Path.of("..", "deploy", "prometheus", "asr-rules.yml"),
                         new RealPrometheus.Job("asr-ingest", URI.create(gateway.url()).getAuthority()))) {
                assertThat(allowances.awaitReady(Duration.ofSeconds(60))).isTrue();
                url = gateway.url();
                for (int i = 0; i < 14; i++) {
                    askThenSpend("runaway", "r-" + i, 1_000_000);
                }
                askThenSpend("calm", "c-0", 500_000);

                JsonNode alert = prometheus.awaitAlert("AsrAllowanceFastBurn", "firing");
                assertThat(alert.at("/labels/agent").asText()).isEqualTo("runaway");
                assertThat(alert.at("/labels/fleet").asText()).isEqualTo("trading");
                assertThat(alert.at("/labels/severity").asText()).isEqualTo("critical");
                assertThat(alert.at("/annotations/runbook_url").asText()).endsWith("#asrallowancefastburn");

                JsonNode remaining = prometheus.awaitQuery("asr_allowance_remaining_dollars{agent=\"runaway\"} == 6");
                assertThat(remaining.get(0).at("/metric/fleet").asText()).isEqualTo("trading");
                prometheus.awaitQuery("asr_allowance_decisions_total{decision=\"ALLOW\",reason=\"within-allowance\"} == 15");
                double pace = 14.0 / 3600 / (20.0 / 86_400);
                prometheus.awaitQuery("ALERTS{alertname=\"AsrAllowanceFastBurn\",agent=\"runaway\"} and on (agent)"
                        + " abs(asr_allowance_burn_rate_dollars_per_second{window=\"1h\"} / ignoring (window)"
                        + " asr_allowance_budget_rate_dollars_per_second - " + pace + ") < 1e-9");
                prometheus.alerts().forEach(a -> assertThat(a.at("/labels/agent").asText()).as("only the runaway agent alerts")
                        .isNotEqualTo("calm"));
            }
        }
    }

    /** An authorization of {@code micros}, then the spend carrying its id (which replaces its hold). */
    private void askThenSpend(String agent, String id, long micros) throws Exception {
        HttpResponse<String> decision = post("/v1/authorize", "{\"authorization_id\":\"" + id + "\",\"fleet\":\"trading\",\"agent_id\":\""
                + agent + "\",\"amount_micros\":" + micros + ",\"kind\":\"TRANSACTION\"}");
        assertThat(JSON.readTree(decision.body()).path("decision").asText()).as(decision.body()).isEqualTo("ALLOW");
        HttpResponse<String> spend = post("/v1/spend", "{\"event_id\":\"spend-" + id + "\",\"fleet\":\"trading\",\"agent_id\":\"" + agent
                + "\",\"task_id\":\"t-" + id + "\",\"kind\":\"TRANSACTION\",\"cost_micros\":" + micros + ",\"authorization_id\":\"" + id + "\"}");
        assertThat(spend.statusCode()).as(spend.body()).isEqualTo(202);
    }

    private String url;

    private HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url + path)).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
