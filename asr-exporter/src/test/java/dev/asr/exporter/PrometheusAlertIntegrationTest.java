package dev.asr.exporter;

import static dev.asr.exporter.Rows.row;
import static dev.asr.exporter.Rows.transition;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.exporter.deploy.Promtool;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus server (Debian's package, on loopback) scrapes the exporter every second with
 * the shipped rules; a scripted agent drops out of self-directed, and the band-drop alert becomes
 * active in Prometheus's HTTP API.
 */
class PrometheusAlertIntegrationTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path directory;

    /** Fresh output topics on the shared broker, and the exporter's settings for them. */
    private record Fresh(String bootstrap, TopicNames names, Topics topics, ExporterSettings settings) {

        ExporterService exporter() {
            return ExporterService.start(settings, Map.of("bootstrap.servers", bootstrap), topics);
        }

        KafkaProducer<String, byte[]> producer() {
            return new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new StringSerializer(), new ByteArraySerializer());
        }
    }

    private Fresh fresh() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        TopicNames names = TestTopics.fresh();
        Topics topics = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(directory.resolve("schemas")), 1);
        Map<String, String> settings = new HashMap<>(Map.of("asr.exporter.port", "0", "asr.topic.agent-metrics", names.agentMetrics(),
                "asr.topic.band-transitions", names.bandTransitions()));
        return new Fresh(bootstrap, names, topics, ExporterSettings.from(settings));
    }

    @Test
    void anAgentDroppingABandMakesTheAlertActive() throws Exception {
        Fresh fresh = fresh();
        TopicNames names = fresh.names();
        Topics topics = fresh.topics();
        try (ExporterService exporter = fresh.exporter(); KafkaProducer<String, byte[]> producer = fresh.producer()) {
            int port = freePort();
            Process prometheus = startPrometheus(exporter.port(), port);
            try {
                String api = "http://127.0.0.1:" + port + "/api/v1/";
                Instant end = Instant.now().minusSeconds(5);
                send(producer, topics, row("dropper", "trading", "1h", end, Band.SELF_DIRECTED, 1_000_000, 700_000));
                awaitQuery(api, "asr_band{agent=\"dropper\"} == 3", prometheus);

                send(producer, topics, row("dropper", "trading", "1h", end.plusSeconds(60), Band.ASSISTED, 1_000_000, 500_000));
                producer.send(new ProducerRecord<>(names.bandTransitions(), "dropper", topics.bandTransitions().valueSerde().serializer()
                        .serialize(names.bandTransitions(), transition("dropper", "trading", Band.SELF_DIRECTED, Band.ASSISTED,
                                end.plusSeconds(60))))).get();

                JsonNode alert = awaitAlert(api, "AsrAgentLeftSelfDirected", prometheus);
                assertThat(alert.at("/labels/agent").asText()).isEqualTo("dropper");
                assertThat(alert.at("/labels/fleet").asText()).isEqualTo("trading");
                assertThat(alert.at("/labels/severity").asText()).isEqualTo("warning");
                assertThat(alert.get("state").asText()).isIn("pending", "firing");
                assertThat(alert.at("/annotations/runbook_url").asText()).endsWith("#asragentleftselfdirected");
                JsonNode all = JSON.readTree(get(api + "alerts")).at("/data/alerts");
                all.forEach(a -> assertThat(a.at("/labels/alertname").asText()).as("nothing else is wrong")
                        .isNotIn("AsrExporterDown", "AsrExporterAbsent"));
            } finally {
                prometheus.destroy();
                prometheus.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * A fleet the exporter has never seen gets its first agent row and that agent's first rating in
     * one go, as the topology writes them; the dashboard's transition panel (its query, read from
     * the shipped dashboard) shows the rating. Counters that first appeared at 1 would show nothing:
     * {@code increase()} takes a series' first sample as its start.
     */
    @Test
    void theFirstRatingOfANewFleetShowsInTheDashboardsTransitionQuery() throws Exception {
        Fresh fresh = fresh();
        TopicNames names = fresh.names();
        Topics topics = fresh.topics();
        String panel = null;
        for (JsonNode expr : JSON.readTree(Path.of("..", "deploy", "grafana", "dashboards", "asr-overview.json").toFile()).findValues("expr")) {
            if (expr.asText().contains("asr_band_transitions_total") && expr.asText().contains("[2m]")) {
                panel = expr.asText();
            }
        }
        assertThat(panel).as("the dashboard's recent-transitions query").isNotNull();
        String query = panel.replace("$fleet", "newcomers");
        try (ExporterService exporter = fresh.exporter(); KafkaProducer<String, byte[]> producer = fresh.producer()) {
            int port = freePort();
            Process prometheus = startPrometheus(exporter.port(), port);
            try {
                String api = "http://127.0.0.1:" + port + "/api/v1/";
                awaitQuery(api, "asr_exporter_up == 1", prometheus);
                Instant end = Instant.now().minusSeconds(5);
                producer.send(new ProducerRecord<>(names.bandTransitions(), "first", topics.bandTransitions().valueSerde().serializer()
                        .serialize(names.bandTransitions(), transition("first", "newcomers", Band.UNRATED, Band.SELF_DIRECTED, end))));
                send(producer, topics, row("first", "newcomers", "1h", end, Band.SELF_DIRECTED, 1_000_000, 700_000));

                JsonNode shown = awaitQuery(api, query, prometheus).get(0);
                assertThat(shown.at("/metric/fleet").asText()).isEqualTo("newcomers");
                assertThat(shown.at("/metric/from").asText()).isEqualTo("unrated");
                assertThat(shown.at("/metric/to").asText()).isEqualTo("self_directed");
            } finally {
                prometheus.destroy();
                prometheus.waitFor(20, TimeUnit.SECONDS);
            }
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topics topics, AgentWindowMetrics row) throws Exception {
        producer.send(new ProducerRecord<>(topics.agentMetrics().name(), row.getAgentId(),
                topics.agentMetrics().valueSerde().serializer().serialize(topics.agentMetrics().name(), row))).get();
    }

    private Process startPrometheus(int exporterPort, int port) throws Exception {
        Path rules = directory.resolve("asr-rules.yml");
        Files.copy(Path.of("..", "deploy", "prometheus", "asr-rules.yml"), rules);
        Path config = directory.resolve("prometheus.yml");
        Files.writeString(config, String.join("\n",
                "global:",
                "  scrape_interval: 1s",
                "  evaluation_interval: 1s",
                "rule_files:",
                "  - " + rules,
                "scrape_configs:",
                "  - job_name: asr-exporter",
                "    static_configs:",
                "      - targets: ['127.0.0.1:" + exporterPort + "']",
                ""));
        return new ProcessBuilder(Promtool.binary("prometheus"), "--config.file=" + config,
                "--storage.tsdb.path=" + directory.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(directory.resolve("prometheus.log").toFile()).start();
    }

    private JsonNode awaitQuery(String api, String query, Process prometheus) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(prometheus.isAlive()).as("prometheus runs: %s", log()).isTrue();
            try {
                JsonNode result = JSON.readTree(get(api + "query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8))).at("/data/result");
                if (result.isArray() && !result.isEmpty()) {
                    return result;
                }
            } catch (java.io.IOException notUp) {
                // Prometheus is still starting.
            }
            Thread.sleep(250);
        }
        throw new AssertionError("Prometheus never answered " + query + "; log:\n" + log());
    }

    private JsonNode awaitAlert(String api, String name, Process prometheus) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            assertThat(prometheus.isAlive()).as("prometheus runs: %s", log()).isTrue();
            for (JsonNode alert : JSON.readTree(get(api + "alerts")).at("/data/alerts")) {
                if (alert.at("/labels/alertname").asText().equals(name)) {
                    return alert;
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError(name + " never became active; alerts: " + get(api + "alerts") + "\nlog:\n" + log());
    }

    private String log() {
        try {
            return Files.readString(directory.resolve("prometheus.log"));
        } catch (java.io.IOException e) {
            return "(no log)";
        }
    }

    private static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
