package dev.asr.ingest.gateway;

import static dev.asr.ingest.gateway.IngestGatewayIntegrationTest.spend;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.embedded.EmbeddedKafkaBroker;
import dev.asr.embedded.EmbeddedKafkaSettings;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.ingest.testing.TopicContents;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.testing.TestTopics;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The broker goes away under the gateway and comes back: the gateway answers 503 (and 429 when its
 * buffer is full) with Retry-After, serves again after the restart, and every record it answered
 * 202 for is in the topic.
 */
class GatewayBrokerOutageIntegrationTest {

    private static final String TOKEN = "outage-" + UUID.randomUUID();

    private final HttpClient http = HttpClient.newHttpClient();
    private final Path directory = TestKafka.temporaryDirectory("asr-gateway-outage-");
    private EmbeddedKafkaBroker broker;
    private IngestGateway gateway;

    @AfterEach
    void cleanUp() {
        if (gateway != null) {
            gateway.close();
        }
        if (broker != null) {
            broker.close();
        }
        TestKafka.deleteRecursively(directory);
    }

    @Test
    void answers503WhileKafkaIsDownAndLosesNothingItAcknowledged() throws Exception {
        broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaSettings(directory.resolve("broker"), "localhost", 0, 0));
        String bootstrap = broker.bootstrapServers();
        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        TopicNames names = new TopicNames("outage-spend", "outage-outcomes", "outage-m", "outage-t", "outage-d");
        Path tokens = directory.resolve("tokens");
        Files.writeString(tokens, Tokens.line(TOKEN, "support") + "\n");
        Map<String, String> settings = IngestGatewayIntegrationTest.settings(directory, bootstrap, names, tokens);
        settings.put("asr.client.capacity", "20");
        settings.put("asr.ingest.retry-after", "2s");
        settings.put("delivery.timeout.ms", "4000");
        settings.put("request.timeout.ms", "2000");
        settings.put("reconnect.backoff.max.ms", "500");
        try (SchemaRegistry registry = RegistrySettings.embedded(directory.resolve("schemas")).open()) {
            TestTopics.create(bootstrap, names, registry, 1);
        }
        gateway = IngestGateway.start(GatewaySettings.from(settings));

        List<String> answered202 = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<String> ids = ids(5);
            assertThat(post(ids).statusCode()).isEqualTo(202);
            answered202.addAll(ids);
        }

        broker.close();
        // 20 records fill the buffer and wait for Kafka (in the accumulator, or for metadata when the
        // producer has re-bootstrapped); meanwhile a further request finds no room.
        CompletableFuture<HttpResponse<String>> filling = CompletableFuture.supplyAsync(() -> postUnchecked(ids(20)));
        long filled = System.nanoTime() + 10_000_000_000L;
        while (gateway.inFlight() < 20 && !filling.isDone()) {
            assertThat(System.nanoTime()).as("the 20 records take the buffer within 10 s").isLessThan(filled);
            Thread.sleep(5);
        }
        HttpResponse<String> full = post(ids(1));
        assertThat(full.statusCode()).as(full.body()).isEqualTo(429);
        assertThat(full.headers().firstValue("Retry-After")).contains("2");
        assertThat(json(full)).contains("waiting for Kafka to acknowledge", "Retry later");
        HttpResponse<String> unavailable = filling.get();
        assertThat(unavailable.statusCode()).isEqualTo(503);
        assertThat(unavailable.headers().firstValue("Retry-After")).contains("2");
        assertThat(json(unavailable)).contains("Kafka did not acknowledge the records", "retry the request");
        assertThat(post(ids(1)).statusCode()).as("still down").isEqualTo(503);

        broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaSettings(directory.resolve("broker"), "localhost", port, 0));
        // A client that honours Retry-After: the same records again until they are taken.
        List<String> retried = ids(5);
        long deadline = System.nanoTime() + 90_000_000_000L;
        int status;
        while ((status = post(retried).statusCode()) != 202) {
            assertThat(status).isIn(429, 503);
            assertThat(System.nanoTime()).as("the gateway accepts again within 90 s of the restart").isLessThan(deadline);
            Thread.sleep(500);
        }
        answered202.addAll(retried);
        for (int i = 0; i < 3; i++) {
            List<String> ids = ids(5);
            assertThat(post(ids).statusCode()).isEqualTo(202);
            answered202.addAll(ids);
        }

        try (SchemaRegistry registry = RegistrySettings.embedded(directory.resolve("schemas")).open()) {
            Set<String> inTopic = TopicContents.read(broker.bootstrapServers(), Topics.create(names, registry).spend()).stream()
                    .map(record -> record.value().getEventId()).collect(Collectors.toSet());
            assertThat(inTopic).as("every record answered 202 is in the topic").containsAll(new java.util.HashSet<>(answered202));
        }
    }

    private static List<String> ids(int count) {
        String prefix = UUID.randomUUID().toString().substring(0, 8);
        return IntStream.range(0, count).mapToObj(i -> prefix + "-" + i).toList();
    }

    private HttpResponse<String> post(List<String> ids) throws Exception {
        String body = ids.stream().map(id -> spend(id, "support", 10)).collect(Collectors.joining("\n"));
        return http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/spend")).header("Authorization", "Bearer " + TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> postUnchecked(List<String> ids) {
        try {
            return post(ids);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String json(HttpResponse<String> response) throws Exception {
        return new ObjectMapper().readTree(response.body()).get("error").asText();
    }
}
