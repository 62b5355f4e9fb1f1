package dev.asr.exporter;

import static dev.asr.exporter.Rows.row;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.EmbeddedKafkaBroker;
import dev.asr.embedded.EmbeddedKafkaSettings;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** The exporter started before its Kafka is reachable says why it is not ready, and reads once the broker comes up. */
class ExporterRecoveryIntegrationTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void startedBeforeTheBrokerItNamesTheAddressThenReadsWithinThirtySecondsOfTheBrokersStart() throws Exception {
        Path directory = TestKafka.temporaryDirectory("asr-exporter-recovery-");
        int port = freePort();
        int controllerPort = freePort();
        String bootstrap = "localhost:" + port;
        TopicNames names = TestTopics.fresh();
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(directory.resolve("schemas"));
        Topics topics = Topics.create(names, registry);
        Map<String, String> settings = new HashMap<>(Map.of("asr.exporter.port", "0", "asr.topic.agent-metrics", names.agentMetrics(),
                "asr.topic.band-transitions", names.bandTransitions()));
        EmbeddedKafkaBroker broker = null;
        try (ExporterService exporter = ExporterService.start(ExporterSettings.from(settings),
                Map.of("bootstrap.servers", bootstrap, "reconnect.backoff.max.ms", "1000"), topics)) {
            String base = "http://127.0.0.1:" + exporter.port();
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            String reason;
            while (!(reason = get(base + "/readyz").body()).contains("cannot reach Kafka at " + bootstrap)) {
                assertThat(System.nanoTime()).as("/readyz names the address it cannot reach (now: %s)", reason).isLessThan(deadline);
                Thread.sleep(200);
            }
            assertThat(get(base + "/readyz").statusCode()).isEqualTo(503);
            assertThat(reason).contains("check bootstrap.servers");
            assertThat(get(base + "/healthz").statusCode()).as("alive: nothing to restart").isEqualTo(200);
            assertThat(get(base + "/metrics").body()).contains("asr_exporter_up 0.0");

            broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaSettings(directory.resolve("broker"), "localhost", port, controllerPort));
            long started = System.nanoTime();
            TestTopics.create(bootstrap, names, registry, 1);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                    new StringSerializer(), new ByteArraySerializer())) {
                AgentWindowMetrics row = row("late-starter", "ops", "1h", Instant.now().minusSeconds(5), Band.ASSISTED, 1_000_000, 500_000);
                producer.send(new ProducerRecord<>(names.agentMetrics(), row.getAgentId(),
                        topics.agentMetrics().valueSerde().serializer().serialize(names.agentMetrics(), row))).get();
            }
            deadline = started + Duration.ofSeconds(30).toNanos();
            while (!get(base + "/metrics").body().contains("asr_band{agent=\"late-starter\",fleet=\"ops\"} 2.0")) {
                assertThat(System.nanoTime()).as("the exporter reads within 30 s of the broker's start").isLessThan(deadline);
                Thread.sleep(250);
            }
            while (get(base + "/readyz").statusCode() != 200) {
                assertThat(System.nanoTime()).as("ready within 30 s of the broker's start").isLessThan(deadline);
                Thread.sleep(250);
            }
            assertThat(get(base + "/metrics").body()).contains("asr_exporter_up 1.0");
        } finally {
            if (broker != null) {
                broker.close();
            }
            registry.close();
            TestKafka.deleteRecursively(directory);
        }
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
