package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.AgentWindowMetrics;
import dev.asr.examples.OtelAgentExample;
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
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable OpenTelemetry example (the real SDK, OTLP/HTTP protobuf with gzip) reports an
 * agent run to the real gateway; the real topology's figures for that agent are the ones worked
 * out by hand from the spans and the starter price table (the first of two runs: its minute closes
 * when the second moves the agent's clock on); the same spans sent again are
 * duplicates to the topology and change nothing.
 */
class OtlpFiguresIntegrationTest {

    private static final String TOKEN = "tok-" + UUID.randomUUID();
    private static final Instant T0 = Instant.now().truncatedTo(ChronoUnit.MINUTES).minus(Duration.ofMinutes(4));

    @TempDir
    Path directory;

    @Test
    void theTopologysFiguresForAnAgentReportedWithOpenTelemetryAreTheHandComputedOnes() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        TopicNames names = TestTopics.fresh();
        try (SchemaRegistry registry = RegistrySettings.embedded(directory.resolve("schemas")).open()) {
            Topics topics = TestTopics.create(bootstrap, names, registry, 1);
            Map<String, Object> streamsConfig = StreamsSettings.streamsConfig(Map.of("bootstrap.servers", bootstrap,
                    "application.id", "asr-it-otlp-" + UUID.randomUUID().toString().substring(0, 8),
                    "state.dir", directory.resolve("state").toString(), "commit.interval.ms", "200"));
            try (StreamsService streams = StreamsService.start(StreamsSettings.from(Map.of("asr.streams.metrics-port", "-1",
                    "asr.grace", "10s")), streamsConfig, topics);
                 IngestGateway gateway = IngestGateway.start(GatewaySettings.from(Map.of("bootstrap.servers", bootstrap,
                         "schema.registry.url", "embedded:" + directory.resolve("schemas"), "asr.ingest.port", "0", "asr.ingest.host",
                         "127.0.0.1", "asr.topic.spend", names.spend(), "asr.topic.outcomes", names.outcomes())),
                         Tokens.of(List.of(new Tokens.Grant(Tokens.hash(TOKEN), Set.of("research")))));
                 KafkaConsumer<byte[], AgentWindowMetrics> rows = new KafkaConsumer<>(Map.of(
                         ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap, ConsumerConfig.GROUP_ID_CONFIG, "reader-" + UUID.randomUUID(),
                         ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"),
                         new ByteArrayDeserializer(), topics.agentMetrics().valueSerde().deserializer())) {
                assertThat(streams.awaitRunning(Duration.ofSeconds(60))).isTrue();
                List<SpanData> spans = OtelAgentExample.report(gateway.url(), TOKEN, "research", "otel-agent", T0);
                assertThat(spans).hasSize(4);
                // A second run two minutes later moves the agent's clock on, so the first run's minute closes now.
                OtelAgentExample.report(gateway.url(), TOKEN, "research", "otel-agent", T0.plus(Duration.ofMinutes(2)));

                rows.subscribe(List.of(names.agentMetrics()));
                AgentWindowMetrics hour = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (hour == null && System.nanoTime() < deadline) {
                    for (var record : rows.poll(Duration.ofMillis(300))) {
                        AgentWindowMetrics row = record.value();
                        if ("otel-agent".equals(row.getAgentId()) && row.getWindow().equals("1h") && row.getSettledTasks() == 1) {
                            hour = row;
                        }
                    }
                }
                assertThat(hour).as("a 1h row with the settled run within 120 s").isNotNull();
                assertThat(hour.getFleet()).as("the resource's asr.fleet").isEqualTo("research");
                // gpt-4o: 1,000 plain × 2.50 + 200 cache reads × 1.25 + 300 × 10 = 5,750; gpt-4o-mini: 800 × 0.15 + 150 × 0.60 = 210;
                // the tool call has no price: 0, one action still.
                assertThat(hour.getSpendMicros()).isEqualTo(5_960);
                assertThat(hour.getAutonomousSpendMicros()).as("SUCCEEDED with no person").isEqualTo(5_960);
                assertThat(hour.getValueMicros()).isEqualTo(20_000);
                assertThat(hour.getInputTokens()).isEqualTo(2_000);
                assertThat(hour.getOutputTokens()).isEqualTo(450);
                assertThat(hour.getActions()).isEqualTo(3);
                assertThat(hour.getAsr()).isEqualTo(1.0);
                assertThat(hour.getAutonomousRoi()).isCloseTo(20_000 / 5_960.0, within(1e-12));
                assertThat(hour.getCostPerAction()).isCloseTo(5_960 / 3.0 / 1e6, within(1e-12));

                long duplicates = streams.counters().duplicates();
                OtlpHttpSpanExporter again = OtlpHttpSpanExporter.builder().setEndpoint(gateway.url() + "/v1/traces")
                        .addHeader("Authorization", "Bearer " + TOKEN).build();
                assertThat(again.export(spans).join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
                again.shutdown();
                long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (streams.counters().duplicates() < duplicates + 4 && System.nanoTime() < until) {
                    Thread.sleep(200);
                }
                assertThat(streams.counters().duplicates() - duplicates).as("three spend events and the outcome, each a duplicate")
                        .isEqualTo(4);
                assertThat(streams.counters().deadLetters()).isZero();
            }
        }
    }
}
