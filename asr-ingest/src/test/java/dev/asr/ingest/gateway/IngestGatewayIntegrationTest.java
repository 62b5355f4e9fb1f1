package dev.asr.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.ingest.testing.TopicContents;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.slf4j.LoggerFactory;

/** The gateway on a real broker, spoken to by a real HTTP client: every answer of the contract. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class IngestGatewayIntegrationTest {

    static final String SUPPORT_TOKEN = "tok-support-" + UUID.randomUUID();
    static final String ANY_TOKEN = "tok-any-" + UUID.randomUUID();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newHttpClient();
    private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
    private Path directory;
    private SchemaRegistry registry;
    private Topics topics;
    private IngestGateway gateway;
    private String bootstrap;
    private Path tokensFile;

    @BeforeAll
    void start() throws Exception {
        bootstrap = TestKafka.bootstrapServers();
        directory = TestKafka.temporaryDirectory("asr-gateway-it-");
        TopicNames names = TestTopics.fresh();
        registry = RegistrySettings.embedded(directory.resolve("schemas")).open();
        topics = TestTopics.create(bootstrap, names, registry, 2);
        Path tokens = directory.resolve("tokens");
        tokensFile = tokens;
        Files.writeString(tokens, baseTokens());
        captureLogs();
        gateway = IngestGateway.start(GatewaySettings.from(settings(directory, bootstrap, names, tokens)));
    }

    private static String baseTokens() {
        return "# test tokens\n" + Tokens.line(SUPPORT_TOKEN, "support") + "\n" + Tokens.line(ANY_TOKEN, "*") + "\n";
    }

    /** Replaces the tokens file as a Kubernetes Secret update does: a new file moved over the old one. */
    private void rotateTokens(String content) throws Exception {
        Path next = directory.resolve("tokens.next");
        Files.writeString(next, content);
        Files.move(next, tokensFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    private int awaitStatus(String token, int wanted) throws Exception {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(15).toNanos();
        while (true) {
            int status = post("/v1/spend", token, spend("rot-" + UUID.randomUUID(), "support", 1)).statusCode();
            if (status == wanted || System.nanoTime() > deadline) {
                return status;
            }
            Thread.sleep(100);
        }
    }

    @Test
    void theTokensFileIsReadAgainWhenItChangesWithoutDroppingARequest() throws Exception {
        String added = "tok-added-" + UUID.randomUUID();
        java.util.concurrent.atomic.AtomicBoolean flowing = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Integer> statuses = java.util.Collections.synchronizedList(new ArrayList<>());
        Thread traffic = new Thread(() -> {
            while (flowing.get()) {
                try {
                    statuses.add(post("/v1/spend", SUPPORT_TOKEN, spend("flow-" + UUID.randomUUID(), "support", 1)).statusCode());
                } catch (Exception e) {
                    statuses.add(-1);
                }
            }
        });
        traffic.start();
        try {
            assertThat(post("/v1/spend", added, spend("before-" + UUID.randomUUID(), "support", 1)).statusCode()).isEqualTo(401);
            rotateTokens(baseTokens() + Tokens.line(added, "support") + "  # added while requests flow\n");
            assertThat(awaitStatus(added, 202)).as("a token added to the file is taken within seconds").isEqualTo(202);

            rotateTokens(baseTokens() + Tokens.line(added, "support") + "\n" + Tokens.line(added, "sales") + "\n");
            Thread.sleep(2 * TokensFile.POLL_MILLIS + 500);
            assertThat(post("/v1/spend", added, spend("kept-" + UUID.randomUUID(), "support", 1)).statusCode())
                    .as("a file that does not load (a repeated token) leaves the tokens before in force").isEqualTo(202);

            rotateTokens(baseTokens());
            assertThat(awaitStatus(added, 401)).as("a token removed from the file is refused within seconds").isEqualTo(401);
        } finally {
            flowing.set(false);
            traffic.join();
            rotateTokens(baseTokens());
        }
        assertThat(statuses).as("requests of a token in every version of the file").isNotEmpty().containsOnly(202);
    }

    static Map<String, String> settings(Path directory, String bootstrap, TopicNames names, Path tokens) {
        Map<String, String> settings = new HashMap<>();
        settings.put("bootstrap.servers", bootstrap);
        settings.put("schema.registry.url", RegistrySettings.EMBEDDED_PREFIX + directory.resolve("schemas"));
        settings.put("asr.topic.spend", names.spend());
        settings.put("asr.topic.outcomes", names.outcomes());
        settings.put("asr.ingest.port", "0");
        settings.put("asr.ingest.tokens-file", tokens.toString());
        settings.put("asr.ingest.max-body", "64KB");
        settings.put("asr.client.capacity", "1000");
        // Smaller than the body limit, so one record of a body can be too large for Kafka.
        settings.put("max.request.size", "20000");
        return settings;
    }

    private void captureLogs() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ((Logger) LoggerFactory.getLogger("dev.asr")).setLevel(Level.DEBUG);
        ((Logger) LoggerFactory.getLogger("io.undertow")).setLevel(Level.DEBUG);
        logs.start();
        root.addAppender(logs);
    }

    @AfterAll
    void stop() {
        gateway.close();
        registry.close();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
        ((Logger) LoggerFactory.getLogger("dev.asr")).setLevel(Level.INFO);
        ((Logger) LoggerFactory.getLogger("io.undertow")).setLevel(null);
        TestKafka.deleteRecursively(directory);
    }

    static String spend(String eventId, String fleet, long cost) {
        return "{\"event_id\":\"" + eventId + "\",\"agent_id\":\"bot-" + fleet + "\",\"fleet\":\"" + fleet + "\",\"task_id\":\"t-" + eventId
                + "\",\"kind\":\"INFERENCE\",\"cost_micros\":" + cost + ",\"input_tokens\":900,\"output_tokens\":120,\"model\":\"m\","
                + "\"occurred_at\":\"" + Instant.now().truncatedTo(ChronoUnit.MILLIS) + "\"}";
    }

    static String outcome(String eventId, String fleet) {
        return "{\"event_id\":\"" + eventId + "\",\"agent_id\":\"bot-" + fleet + "\",\"fleet\":\"" + fleet + "\",\"task_id\":\"t-" + eventId
                + "\",\"status\":\"SUCCEEDED\",\"value_micros\":2500000,\"human_interventions\":1}";
    }

    HttpResponse<String> post(String path, String token, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url() + path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) throws Exception {
        assertThat(response.headers().firstValue("Content-Type")).contains("application/json");
        return JSON.readTree(response.body());
    }

    @Test
    void acceptsAnObjectAnArrayAndNdjsonAndWritesThemDecodable() throws Exception {
        String prefix = "good-" + UUID.randomUUID() + "-";
        HttpResponse<String> one = post("/v1/spend", SUPPORT_TOKEN, spend(prefix + 1, "support", 1500));
        HttpResponse<String> array = post("/v1/spend", SUPPORT_TOKEN, "[" + spend(prefix + 2, "support", 10) + "," + spend(prefix + 3, "support", 0) + "]");
        HttpResponse<String> ndjson = post("/v1/outcomes", SUPPORT_TOKEN, outcome(prefix + 4, "support") + "\n" + outcome(prefix + 5, "support") + "\n");

        assertThat(one.statusCode()).isEqualTo(202);
        assertThat(json(one).get("accepted").asInt()).isEqualTo(1);
        assertThat(json(array).get("accepted").asInt()).isEqualTo(2);
        assertThat(ndjson.statusCode()).isEqualTo(202);
        assertThat(json(ndjson).get("accepted").asInt()).isEqualTo(2);
        assertThat(json(ndjson).get("rejected").asInt()).isZero();

        // 202 came after Kafka's acknowledgement: the records are there now, no waiting.
        Map<String, SpendEvent> spend = TopicContents.byId(mine(TopicContents.read(bootstrap, topics.spend()), prefix, SpendEvent::getEventId),
                SpendEvent::getEventId);
        Map<String, OutcomeEvent> outcomes = TopicContents.byId(
                mine(TopicContents.read(bootstrap, topics.outcomes()), prefix, OutcomeEvent::getEventId), OutcomeEvent::getEventId);
        assertThat(spend).containsOnlyKeys(prefix + 1, prefix + 2, prefix + 3);
        assertThat(outcomes).containsOnlyKeys(prefix + 4, prefix + 5);
        SpendEvent first = spend.get(prefix + 1);
        assertThat(first.getCostMicros()).isEqualTo(1500);
        assertThat(first.getInputTokens()).isEqualTo(900);
        assertThat(first.getFleet()).isEqualTo("support");
        assertThat(first.getCurrency()).isEqualTo("USD");
        assertThat(outcomes.get(prefix + 4).getValueMicros()).isEqualTo(2_500_000);
        assertThat(outcomes.get(prefix + 4).getHumanInterventions()).isEqualTo(1);
        for (ConsumerRecord<String, SpendEvent> record : TopicContents.read(bootstrap, topics.spend())) {
            assertThat(record.key()).as("keyed by agent").isEqualTo(record.value().getAgentId());
            assertThat(record.timestamp()).as("timestamped with the event time").isEqualTo(record.value().getOccurredAt().toEpochMilli());
        }
    }

    static <V> List<ConsumerRecord<String, V>> mine(List<ConsumerRecord<String, V>> records, String prefix,
            java.util.function.Function<V, String> id) {
        return records.stream().filter(r -> id.apply(r.value()).startsWith(prefix)).toList();
    }

    @Test
    void acceptsTheValidRecordsOfABatchAndNamesTheRest() throws Exception {
        String prefix = "mixed-" + UUID.randomUUID() + "-";
        String body = String.join("\n", spend(prefix + 0, "support", 5), spend(prefix + 1, "support", -5),
                spend(prefix + 2, "support", 7).replace("\"kind\":\"INFERENCE\"", "\"kind\":\"LUNCH\""), spend(prefix + 3, "support", 9));
        HttpResponse<String> response = post("/v1/spend", SUPPORT_TOKEN, body);

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode report = json(response);
        assertThat(report.get("accepted").asInt()).isEqualTo(2);
        assertThat(report.get("rejected").asInt()).isEqualTo(2);
        assertThat(report.get("errors").get(0).get("index").asInt()).isEqualTo(1);
        assertThat(report.get("errors").get(0).get("field").asText()).isEqualTo("cost_micros");
        assertThat(report.get("errors").get(0).get("error").asText()).isEqualTo("cost_micros is -5; it must be >= 0");
        assertThat(report.get("errors").get(1).get("index").asInt()).isEqualTo(2);
        assertThat(report.get("errors").get(1).get("error").asText()).contains("kind is 'LUNCH'", "INFERENCE");
        assertThat(TopicContents.byId(mine(TopicContents.read(bootstrap, topics.spend()), prefix, SpendEvent::getEventId),
                SpendEvent::getEventId)).containsOnlyKeys(prefix + 0, prefix + 3);
    }

    @Test
    void answers400WhenNothingIsValid() throws Exception {
        HttpResponse<String> invalid = post("/v1/spend", SUPPORT_TOKEN, "{\"agent_id\":\"a\",\"fleet\":\"support\"}");
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(json(invalid).get("accepted").asInt()).isZero();
        assertThat(json(invalid).get("errors").get(0).get("error").asText()).isEqualTo("cost_micros is missing: give it as a whole number"
                + " >= 0");
        assertThat(json(invalid).get("errors").get(0).get("reason").asText()).isEqualTo("missing-field");

        HttpResponse<String> notJson = post("/v1/outcomes", SUPPORT_TOKEN, "status=SUCCEEDED");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(json(notJson).get("errors").get(0).get("error").asText()).contains("not valid JSON at line 1");

        HttpResponse<String> empty = post("/v1/outcomes", SUPPORT_TOKEN, "");
        assertThat(empty.statusCode()).isEqualTo(400);
        assertThat(json(empty).get("errors").get(0).get("error").asText()).contains("the body is empty");
    }

    @Test
    void refusesAnOccurredAtNoWindowCanCountWithTheHintForEpochSeconds() throws Exception {
        String prefix = "old-" + UUID.randomUUID() + "-";
        long seconds = Instant.now().getEpochSecond();
        String body = String.join("\n", spend(prefix + 0, "support", 1).replaceAll("\"occurred_at\":\"[^\"]+\"", "\"occurred_at\":" + seconds),
                spend(prefix + 1, "support", 1).replaceAll("\"occurred_at\":\"[^\"]+\"", "\"occurred_at\":\"2024-01-01T00:00:00Z\""),
                spend(prefix + 2, "support", 1));
        HttpResponse<String> response = post("/v1/spend", SUPPORT_TOKEN, body);

        assertThat(response.statusCode()).isEqualTo(202);
        JsonNode errors = json(response).get("errors");
        assertThat(errors.get(0).get("reason").asText()).isEqualTo("too-late");
        assertThat(errors.get(0).get("error").asText()).contains("1970-", seconds + " looks like epoch seconds",
                "epoch milliseconds (" + seconds * 1000 + ")");
        assertThat(errors.get(1).get("reason").asText()).isEqualTo("too-late");
        assertThat(errors.get(1).get("error").asText()).contains("2024-01-01T00:00:00Z, more than 1d (the longest of asr.views)");
        assertThat(TopicContents.byId(mine(TopicContents.read(bootstrap, topics.spend()), prefix, SpendEvent::getEventId),
                SpendEvent::getEventId)).containsOnlyKeys(prefix + 2);
    }

    @Test
    void aRecordTooLargeForKafkaIsItsOwnErrorAndItsNeighboursAreAccepted() throws Exception {
        String prefix = "huge-" + UUID.randomUUID() + "-";
        String huge = spend(prefix + 1, "support", 1).replace("\"model\":\"m\"", "\"model\":\"m\",\"attributes\":{\"notes\":\""
                + "x".repeat(30_000) + "\"}");
        HttpResponse<String> response = post("/v1/spend", SUPPORT_TOKEN, String.join("\n", spend(prefix + 0, "support", 1), huge,
                spend(prefix + 2, "support", 1)));

        assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
        JsonNode report = json(response);
        assertThat(report.get("accepted").asInt()).isEqualTo(2);
        assertThat(report.get("rejected").asInt()).isEqualTo(1);
        assertThat(report.get("errors").get(0).get("index").asInt()).isEqualTo(1);
        assertThat(report.get("errors").get(0).get("reason").asText()).isEqualTo("record-too-large");
        assertThat(report.get("errors").get(0).get("error").asText()).contains("max.request.size", "make it smaller");
        assertThat(TopicContents.byId(mine(TopicContents.read(bootstrap, topics.spend()), prefix, SpendEvent::getEventId),
                SpendEvent::getEventId)).containsOnlyKeys(prefix + 0, prefix + 2);

        HttpResponse<String> alone = post("/v1/spend", SUPPORT_TOKEN, huge);
        assertThat(alone.statusCode()).as("never 503: no retry can mend it").isEqualTo(400);
        assertThat(json(alone).get("errors").get(0).get("reason").asText()).isEqualTo("record-too-large");
    }

    @Test
    void answers415ForABodyThatIsNotJson() throws Exception {
        for (String type : new String[] {"application/x-www-form-urlencoded", "text/csv", "multipart/form-data; boundary=x"}) {
            HttpResponse<String> response = postAs(type);
            assertThat(response.statusCode()).as(type).isEqualTo(415);
            assertThat(json(response).get("error").asText()).contains("application/json", "application/x-ndjson");
        }
        for (String type : new String[] {"application/json", "application/json; charset=utf-8", "application/x-ndjson"}) {
            assertThat(postAs(type).statusCode()).as(type).isEqualTo(202);
        }
    }

    private HttpResponse<String> postAs(String contentType) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/spend"))
                .header("Authorization", "Bearer " + SUPPORT_TOKEN).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(spend("ct-" + UUID.randomUUID(), "support", 1))).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void answers401WithoutAKnownBearerToken() throws Exception {
        for (String token : new String[] {null, "", "not-a-token", SUPPORT_TOKEN + "x"}) {
            HttpResponse<String> response = post("/v1/spend", token, spend("e", "support", 1));
            assertThat(response.statusCode()).as("token %s", token).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).contains("Bearer realm=\"asr\"");
            assertThat(json(response).get("error").asText()).contains("Authorization: Bearer");
        }
        HttpResponse<String> basic = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/spend"))
                .header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(("u:" + SUPPORT_TOKEN).getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString(spend("e", "support", 1))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(basic.statusCode()).isEqualTo(401);
    }

    @Test
    void refusesAWholeRequestWithARecordOfAnotherFleet() throws Exception {
        String prefix = "cross-" + UUID.randomUUID() + "-";
        HttpResponse<String> response = post("/v1/spend", SUPPORT_TOKEN,
                "[" + spend(prefix + 1, "support", 1) + "," + spend(prefix + 2, "sales", 1) + "," + spend(prefix + 3, "billing", 1) + "]");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(json(response).get("error").asText()).contains("may not write fleet(s) billing, sales", "nothing in this request was accepted");
        HttpResponse<String> outcome = post("/v1/outcomes", SUPPORT_TOKEN, outcome(prefix + 4, "sales"));
        assertThat(outcome.statusCode()).isEqualTo(403);
        assertThat(mine(TopicContents.read(bootstrap, topics.spend()), prefix, SpendEvent::getEventId)).isEmpty();
        assertThat(mine(TopicContents.read(bootstrap, topics.outcomes()), prefix, OutcomeEvent::getEventId)).isEmpty();

        HttpResponse<String> any = post("/v1/spend", ANY_TOKEN, spend(prefix + 5, "sales", 1));
        assertThat(any.statusCode()).as("a '*' token writes any fleet").isEqualTo(202);
    }

    @Test
    void answers413ForABodyOverTheLimitDeclaredOrStreamed() throws Exception {
        StringBuilder big = new StringBuilder("[");
        while (big.length() < 70 * 1024) {
            big.append(spend("big-" + big.length(), "support", 1)).append(',');
        }
        big.setCharAt(big.length() - 1, ']');
        HttpResponse<String> declared = post("/v1/spend", SUPPORT_TOKEN, big.toString());
        assertThat(declared.statusCode()).isEqualTo(413);
        assertThat(json(declared).get("error").asText()).contains("larger than 65536 bytes", "asr.ingest.max-body", "split it");

        byte[] bytes = big.toString().getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> chunked = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/spend"))
                .header("Authorization", "Bearer " + SUPPORT_TOKEN)
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).isEqualTo(413);

        HttpResponse<String> fine = post("/v1/spend", SUPPORT_TOKEN, spend("after-413-" + UUID.randomUUID(), "support", 1));
        assertThat(fine.statusCode()).as("the gateway serves on").isEqualTo(202);
    }

    @Test
    void answersOtherMethodsAndPathsWithJson() throws Exception {
        HttpResponse<String> get = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/spend")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).contains("POST");
        assertThat(json(get).get("error").asText()).contains("takes POST");
        HttpResponse<String> unknown = post("/v2/spend", SUPPORT_TOKEN, "{}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("error").asText()).contains("POST /v1/spend");
        HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/healthz")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(json(health).get("status").asText()).isEqualTo("ok");
        assertThat(json(health).get("in_flight").asInt()).isZero();
        assertThat(json(health).get("capacity").asInt()).isPositive();
    }

    @Test
    void aSpendCarriesItsAuthorizationIdToKafka() throws Exception {
        String prefix = "authorized-" + UUID.randomUUID() + "-";
        String record = spend(prefix + 1, "support", 700);
        record = record.substring(0, record.length() - 1) + ",\"authorization_id\":\"au-" + prefix + "\"}";
        assertThat(post("/v1/spend", SUPPORT_TOKEN, record).statusCode()).isEqualTo(202);
        assertThat(post("/v1/spend", SUPPORT_TOKEN, spend(prefix + 2, "support", 700)).statusCode()).isEqualTo(202);
        Map<String, SpendEvent> written = TopicContents.byId(mine(TopicContents.read(bootstrap, topics.spend()), prefix,
                SpendEvent::getEventId), SpendEvent::getEventId);
        assertThat(written.get(prefix + 1).getAuthorizationId()).isEqualTo("au-" + prefix);
        assertThat(written.get(prefix + 2).getAuthorizationId()).isNull();
    }

    @Test
    void readyzSaysReadyAsJsonOnceKafkaAnswers() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        HttpResponse<String> ready;
        while ((ready = get("/readyz")).statusCode() != 200) {
            assertThat(System.nanoTime()).as("ready within 30 s: %s", ready.body()).isLessThan(deadline);
            Thread.sleep(200);
        }
        assertThat(json(ready).get("status").asText()).isEqualTo("ready");
    }

    @Test
    void metricsCountRequestsByEndpointAndStatusAndRecordsByOutcomeAndReason() throws Exception {
        String before = get("/metrics").body();
        String prefix = "metrics-" + UUID.randomUUID() + "-";
        HttpResponse<String> mixed = post("/v1/spend", SUPPORT_TOKEN, "[" + spend(prefix + 1, "support", 10) + ","
                + "{\"agent_id\":\"a\",\"fleet\":\"support\"}," + spend(prefix + 2, "support", -5) + "]");
        assertThat(mixed.statusCode()).isEqualTo(202);
        post("/v1/spend", null, "{}");
        post("/no/such/" + UUID.randomUUID(), SUPPORT_TOKEN, "{}");

        HttpResponse<String> scrape = get("/metrics");
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain");
        String after = scrape.body();
        assertThat(increase(before, after, "asr_ingest_requests_total", "endpoint=\"/v1/spend\"", "code=\"202\"")).isEqualTo(1);
        assertThat(increase(before, after, "asr_ingest_requests_total", "endpoint=\"/v1/spend\"", "code=\"401\"")).isEqualTo(1);
        assertThat(increase(before, after, "asr_ingest_requests_total", "endpoint=\"other\"", "code=\"404\""))
                .as("an unknown path is 'other': clients cannot grow the series").isEqualTo(1);
        assertThat(after).doesNotContain("/no/such/");
        assertThat(increase(before, after, "asr_ingest_records_accepted_total", "endpoint=\"/v1/spend\"")).isEqualTo(1);
        assertThat(increase(before, after, "asr_ingest_records_rejected_total", "endpoint=\"/v1/spend\"", "reason=\"missing-field\""))
                .isEqualTo(1);
        assertThat(increase(before, after, "asr_ingest_records_rejected_total", "endpoint=\"/v1/spend\"", "reason=\"negative-amount\""))
                .isEqualTo(1);
        assertThat(after).contains("asr_ingest_requests_in_flight ", "asr_ingest_buffer_records ", "asr_ingest_buffer_capacity_records ",
                "asr_ingest_kafka_up ");
    }

    /** How much a series grew between two scrapes (0 where it was absent). */
    private static double increase(String before, String after, String name, String... labels) {
        return sample(after, name, labels) - sample(before, name, labels);
    }

    private static double sample(String scrape, String name, String... labels) {
        for (String line : scrape.split("\n")) {
            if (line.startsWith(name + "{") && java.util.Arrays.stream(labels).allMatch(line::contains)) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return 0;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(gateway.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesAnOpenApiDocumentWhoseRecordsAreTheAvroSchemas() throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/openapi.json")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode document = json(response);
        assertThat(document.get("openapi").asText()).startsWith("3.");
        assertThat(document.get("paths").has("/v1/spend")).isTrue();
        assertThat(document.get("paths").has("/v1/outcomes")).isTrue();
        assertThat(document.at("/components/securitySchemes/bearer/scheme").asText()).isEqualTo("bearer");
        for (Schema avro : List.of(SpendEvent.getClassSchema(), OutcomeEvent.getClassSchema())) {
            JsonNode schema = document.at("/components/schemas/" + avro.getName());
            TreeSet<String> documented = new TreeSet<>();
            schema.get("properties").fieldNames().forEachRemaining(documented::add);
            TreeSet<String> fields = new TreeSet<>();
            avro.getFields().forEach(field -> fields.add(field.name()));
            assertThat(documented).as(avro.getName() + " properties").isEqualTo(fields);
            for (JsonNode required : schema.get("required")) {
                assertThat(fields).contains(required.asText());
            }
        }
        for (String status : List.of("202", "400", "401", "403", "413", "429", "503")) {
            assertThat(document.at("/paths/~1v1~1spend/post/responses").has(status)).as("documents " + status).isTrue();
            assertThat(document.at("/paths/~1v1~1outcomes/post/responses").has(status)).as("documents " + status).isTrue();
        }
    }

    @Test
    void neverLogsATokenNorTheBody() throws Exception {
        post("/v1/spend", SUPPORT_TOKEN, spend("log-" + UUID.randomUUID(), "support", 1));
        post("/v1/spend", SUPPORT_TOKEN, "{broken");
        post("/v1/spend", SUPPORT_TOKEN + "-wrong", "{}");
        post("/v1/spend", SUPPORT_TOKEN, spend("log-" + UUID.randomUUID(), "sales", 1));
        List<String> messages = new ArrayList<>();
        for (ILoggingEvent event : logs.list) {
            messages.add(event.getFormattedMessage());
        }
        assertThat(messages).as("something was logged at DEBUG, or this test proves nothing").isNotEmpty();
        assertThat(messages).noneMatch(message -> message.contains("tok-support") || message.contains("tok-any"));
    }
}
