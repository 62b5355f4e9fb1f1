package dev.asr.exporter;

import static dev.asr.exporter.Rows.row;
import static dev.asr.exporter.Rows.transition;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.exporter.deploy.Promtool;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Records on a real broker, through the exporter, to /metrics read over HTTP. */
class ExporterIntegrationTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path directory;

    private String bootstrap;
    private Topics topics;
    private TopicNames names;

    @BeforeEach
    void topics() throws Exception {
        bootstrap = TestKafka.bootstrapServers();
        names = TestTopics.fresh();
        topics = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(directory.resolve("schemas")), 2);
    }

    private void send(AgentWindowMetrics row) throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(names.agentMetrics(), row.getAgentId() == null ? row.getFleet() : row.getAgentId(),
                    topics.agentMetrics().valueSerde().serializer().serialize(names.agentMetrics(), row))).get();
        }
    }

    private void send(BandTransition transition) throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(names.bandTransitions(), transition.getAgentId(),
                    topics.bandTransitions().valueSerde().serializer().serialize(names.bandTransitions(), transition))).get();
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new StringSerializer(), new ByteArraySerializer());
    }

    private ExporterService exporter(Map<String, String> overrides) {
        Map<String, String> settings = new java.util.HashMap<>(overrides);
        settings.put("asr.exporter.port", "0");
        settings.put("asr.topic.agent-metrics", names.agentMetrics());
        settings.put("asr.topic.band-transitions", names.bandTransitions());
        return ExporterService.start(ExporterSettings.from(settings), Map.of("bootstrap.servers", bootstrap), topics);
    }

    private static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static String awaitScrape(ExporterService exporter, Predicate<String> until) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String text = "";
        while (System.nanoTime() < deadline) {
            text = get(exporter.url());
            if (until.test(text)) {
                return text;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the scrape never showed what was expected; last one:\n" + text);
    }

    @Test
    void recordsOnTheBrokerAppearAtMetricsWithTheirValues() throws Exception {
        Instant end = Instant.now().minusSeconds(10);
        try (ExporterService exporter = exporter(Map.of())) {
            awaitReady(exporter);
            send(row("bot-1", "trading", "1h", end, Band.SELF_DIRECTED, 1_000_000, 750_000));
            send(row("bot-1", "trading", "1m", end, Band.SELF_DIRECTED, 2_500_000, 1_250_000));
            send(row(null, "trading", "1h", end, Band.SELF_DIRECTED, 1_000_000, 750_000));
            send(transition("bot-1", "trading", Band.UNRATED, Band.SELF_DIRECTED, end));
            String text = awaitScrape(exporter, t -> t.contains("to=\"self_directed\"} 1.0") && t.contains("asr_fleet_ratio"));
            assertThat(text)
                    .contains("asr_ratio{agent=\"bot-1\",fleet=\"trading\",window=\"1h\"} 0.75\n")
                    .contains("asr_band{agent=\"bot-1\",fleet=\"trading\"} 3.0\n")
                    .contains("asr_spend_dollars_total{agent=\"bot-1\",fleet=\"trading\"} 2.5\n")
                    .contains("asr_autonomous_spend_dollars_total{agent=\"bot-1\",fleet=\"trading\"} 1.25\n")
                    .contains("asr_fleet_ratio{fleet=\"trading\",window=\"1h\"} 0.75\n")
                    .contains("asr_fleet_agents{band=\"self_directed\",fleet=\"trading\"} 1.0\n")
                    .contains("asr_band_transitions_total{fleet=\"trading\",from=\"unrated\",to=\"self_directed\"} 1.0\n")
                    .contains("asr_exporter_up 1.0\n")
                    .contains("asr_exporter_records_total{topic=\"" + names.agentMetrics() + "\"} 3.0\n");
            assertThat(get(exporter.url().replace("/metrics", "/healthz"))).isEqualTo("{\"status\":\"ok\"}\n");
            assertThat(get(exporter.url().replace("/metrics", "/readyz"))).isEqualTo("{\"status\":\"ready\"}\n");

            // OpenMetrics on request, and promtool accepts the real scrape.
            HttpResponse<String> openMetrics = HTTP.send(HttpRequest.newBuilder(URI.create(exporter.url()))
                    .header("Accept", "application/openmetrics-text; version=1.0.0").build(), HttpResponse.BodyHandlers.ofString());
            assertThat(openMetrics.headers().firstValue("Content-Type").orElse("")).startsWith("application/openmetrics-text");
            assertThat(openMetrics.body()).endsWith("# EOF\n");
            Promtool.Result check = Promtool.run(Path.of("."), text.getBytes(StandardCharsets.UTF_8), "check", "metrics");
            assertThat(check.exitCode()).as(check.output()).isZero();
        }
    }

    @Test
    void anAgentPastItsTtlDisappears() throws Exception {
        Instant end = Instant.now().minusSeconds(10);
        try (ExporterService exporter = exporter(Map.of("asr.exporter.agent-ttl", "3s"))) {
            awaitReady(exporter);
            send(Rows.activeAt(row("short-lived", "ops", "1h", end, Band.ASSISTED, 100, 40), Instant.now()));
            awaitScrape(exporter, t -> t.contains("agent=\"short-lived\""));
            String later = awaitScrape(exporter, t -> !t.contains("agent=\"short-lived\""));
            assertThat(later).contains("asr_exporter_agents 0.0");
        }
    }

    @Test
    void perAgentSeriesOffLeavesFleetSeriesOnly() throws Exception {
        Instant end = Instant.now().minusSeconds(10);
        try (ExporterService exporter = exporter(Map.of("asr.exporter.per-agent", "false"))) {
            awaitReady(exporter);
            send(row("bot-2", "trading", "1h", end, Band.REACTIVE, 100, 10));
            send(row(null, "trading", "1h", end, Band.REACTIVE, 100, 10));
            String text = awaitScrape(exporter, t -> t.contains("asr_fleet_ratio{fleet=\"trading\""));
            assertThat(text).doesNotContain("agent=").contains("asr_fleet_agents{band=\"reactive\",fleet=\"trading\"} 1.0");
        }
    }

    @Test
    void aRestartRebuildsGaugesFromTheTopicWithoutCountingThemAgain() throws Exception {
        Instant end = Instant.now().minusSeconds(10);
        send(row("bot-3", "trading", "1m", end, Band.ASSISTED, 5_000_000, 1_000_000));
        try (ExporterService exporter = exporter(Map.of())) {
            String text = awaitScrape(exporter, t -> t.contains("agent=\"bot-3\""));
            assertThat(text).contains("asr_band{agent=\"bot-3\",fleet=\"trading\"} 2.0\n")
                    .contains("asr_spend_dollars_total{agent=\"bot-3\",fleet=\"trading\"} 0.0\n");
        }
    }

    /**
     * Two exporters over one topic (as two replicas, each reading every partition with no consumer
     * group) serve the same series with the same values, so either can be scraped, or each by one
     * Prometheus of an HA pair: rows from before they started rebuild the same gauges, rows after
     * count the same in both.
     */
    @Test
    void twoReplicasServeIdenticalSeries() throws Exception {
        Instant end = Instant.now().minusSeconds(10);
        send(row("bot-1", "trading", "1h", end, Band.SELF_DIRECTED, 1_000_000, 750_000));
        send(row(null, "trading", "1h", end, Band.SELF_DIRECTED, 1_000_000, 750_000));
        try (ExporterService first = exporter(Map.of()); ExporterService second = exporter(Map.of())) {
            awaitReady(first);
            awaitReady(second);
            Instant later = end.plusSeconds(60);
            send(row("bot-1", "trading", "1h", later, Band.SELF_DIRECTED, 2_000_000, 1_600_000));
            send(row("bot-2", "support", "1m", later, Band.ASSISTED, 300_000, 90_000));
            send(row(null, "trading", "1h", later, Band.SELF_DIRECTED, 2_000_000, 1_600_000));
            send(transition("bot-2", "support", Band.UNRATED, Band.ASSISTED, later));
            Predicate<String> caughtUp = t -> t.contains("agent=\"bot-2\"") && t.contains("asr_band_transitions_total{");
            List<String> one = series(awaitScrape(first, caughtUp));
            List<String> two = series(awaitScrape(second, caughtUp));
            assertThat(one).as("ASR series of the first replica").contains("asr_band{agent=\"bot-1\",fleet=\"trading\"} 3.0")
                    .anyMatch(line -> line.startsWith("asr_spend_dollars_total{agent=\"bot-1\",fleet=\"trading\"}"));
            assertThat(two).as("the second replica's, line by line").isEqualTo(one);
        }
    }

    /** The ASR series of a scrape, sorted: every {@code asr_} line but the exporter's own ({@code asr_exporter_*}). */
    private static List<String> series(String scrape) {
        return scrape.lines().filter(line -> line.startsWith("asr_") && !line.startsWith("asr_exporter_")).sorted().toList();
    }

    private static void awaitReady(ExporterService exporter) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!exporter.ready()) {
            assertThat(System.nanoTime()).as("exporter ready within 30 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
