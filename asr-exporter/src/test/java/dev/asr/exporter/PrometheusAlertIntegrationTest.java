package dev.asr.exporter;

import static dev.asr.exporter.Rows.row;
import static dev.asr.exporter.Rows.transition;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.RealPrometheus;
import dev.asr.schemas.testing.TestTopics;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
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
        try (ExporterService exporter = fresh.exporter(); KafkaProducer<String, byte[]> producer = fresh.producer();
             RealPrometheus prometheus = prometheus(exporter.port())) {
            Instant end = Instant.now().minusSeconds(5);
            send(producer, topics, row("dropper", "trading", "1h", end, Band.SELF_DIRECTED, 1_000_000, 700_000));
            prometheus.awaitQuery("asr_band{agent=\"dropper\"} == 3");

            send(producer, topics, row("dropper", "trading", "1h", end.plusSeconds(60), Band.ASSISTED, 1_000_000, 500_000));
            producer.send(new ProducerRecord<>(names.bandTransitions(), "dropper", topics.bandTransitions().valueSerde().serializer()
                    .serialize(names.bandTransitions(), transition("dropper", "trading", Band.SELF_DIRECTED, Band.ASSISTED,
                            end.plusSeconds(60))))).get();

            JsonNode alert = prometheus.awaitAlert("AsrAgentLeftSelfDirected", null);
            assertThat(alert.at("/labels/agent").asText()).isEqualTo("dropper");
            assertThat(alert.at("/labels/fleet").asText()).isEqualTo("trading");
            assertThat(alert.at("/labels/severity").asText()).isEqualTo("warning");
            assertThat(alert.get("state").asText()).isIn("pending", "firing");
            assertThat(alert.at("/annotations/runbook_url").asText()).endsWith("#asragentleftselfdirected");
            prometheus.alerts().forEach(a -> assertThat(a.at("/labels/alertname").asText()).as("nothing else is wrong")
                    .isNotIn("AsrExporterDown", "AsrExporterAbsent"));
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
        try (ExporterService exporter = fresh.exporter(); KafkaProducer<String, byte[]> producer = fresh.producer();
             RealPrometheus prometheus = prometheus(exporter.port())) {
            prometheus.awaitQuery("asr_exporter_up == 1");
            Instant end = Instant.now().minusSeconds(5);
            producer.send(new ProducerRecord<>(names.bandTransitions(), "first", topics.bandTransitions().valueSerde().serializer()
                    .serialize(names.bandTransitions(), transition("first", "newcomers", Band.UNRATED, Band.SELF_DIRECTED, end))));
            send(producer, topics, row("first", "newcomers", "1h", end, Band.SELF_DIRECTED, 1_000_000, 700_000));

            JsonNode shown = prometheus.awaitQuery(query).get(0);
            assertThat(shown.at("/metric/fleet").asText()).isEqualTo("newcomers");
            assertThat(shown.at("/metric/from").asText()).isEqualTo("unrated");
            assertThat(shown.at("/metric/to").asText()).isEqualTo("self_directed");
        }
    }

    private static void send(KafkaProducer<String, byte[]> producer, Topics topics, AgentWindowMetrics row) throws Exception {
        producer.send(new ProducerRecord<>(topics.agentMetrics().name(), row.getAgentId(),
                topics.agentMetrics().valueSerde().serializer().serialize(topics.agentMetrics().name(), row))).get();
    }

    private RealPrometheus prometheus(int exporterPort) throws Exception {
        return RealPrometheus.start(directory.resolve("prometheus"), Path.of("..", "deploy", "prometheus", "asr-rules.yml"),
                new RealPrometheus.Job("asr-exporter", "127.0.0.1:" + exporterPort));
    }
}
