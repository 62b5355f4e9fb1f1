package dev.asr.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.schemas.TopicNames;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * 10,000 random and malformed requests: every answer is a 2xx or 4xx with a JSON body, never a
 * 5xx, and the gateway serves a good request afterwards.
 */
class GatewayFuzzIntegrationTest {

    private static final int REQUESTS = 10_000;
    private static final String TOKEN = "fuzz-" + UUID.randomUUID();
    private static final Set<Integer> EXPECTED = Set.of(202, 400, 401, 403, 404, 405, 413, 415);
    private static final String[] SPEND_FIELDS = {"event_id", "agent_id", "fleet", "task_id", "kind", "cost_micros", "currency",
        "input_tokens", "output_tokens", "model", "tool", "occurred_at", "attributes"};
    private static final String[] OUTCOME_FIELDS = {"event_id", "agent_id", "fleet", "task_id", "status", "value_micros",
        "human_interventions", "occurred_at", "attributes"};

    @Test
    void randomAndMalformedBodiesNeverGetA5xx() throws Exception {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        System.out.printf("fuzz seed %d (rerun with -Dfuzz.seed=%d)%n", seed, seed);
        Path directory = TestKafka.temporaryDirectory("asr-gateway-fuzz-");
        String bootstrap = TestKafka.bootstrapServers();
        TopicNames names = TestTopics.fresh();
        try (SchemaRegistry registry = RegistrySettings.embedded(directory.resolve("schemas")).open()) {
            TestTopics.create(bootstrap, names, registry, 2);
        }
        Path tokens = directory.resolve("tokens");
        Files.writeString(tokens, Tokens.line(TOKEN, "fleet-a,fleet-b") + "\n");
        Map<String, String> settings = IngestGatewayIntegrationTest.settings(directory, bootstrap, names, tokens);
        settings.put("asr.ingest.max-body", "32KB");
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        List<String> surprises = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService senders = Executors.newFixedThreadPool(4);
        try (IngestGateway gateway = IngestGateway.start(GatewaySettings.from(settings))) {
            List<Future<?>> done = new ArrayList<>();
            SplittableRandom seeds = new SplittableRandom(seed);
            for (int t = 0; t < 4; t++) {
                SplittableRandom random = seeds.split();
                done.add(senders.submit(() -> {
                    for (int i = 0; i < REQUESTS / 4; i++) {
                        Request request = request(random);
                        HttpResponse<String> response = send(http, gateway.url(), request);
                        statuses.computeIfAbsent(response.statusCode(), s -> new AtomicInteger()).incrementAndGet();
                        if (!EXPECTED.contains(response.statusCode()) || !isJsonObject(response.body())) {
                            surprises.add(response.statusCode() + " " + response.body() + " for " + request.describe());
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
            HttpResponse<String> good = send(http, gateway.url(), new Request("POST", "/v1/spend", TOKEN, "application/json",
                    ("{\"agent_id\":\"a\",\"fleet\":\"fleet-a\",\"kind\":\"IDLE\",\"cost_micros\":1}").getBytes(StandardCharsets.UTF_8)));
            assertThat(good.statusCode()).as("the gateway still serves").isEqualTo(202);
        } finally {
            senders.shutdownNow();
            TestKafka.deleteRecursively(directory);
        }
        System.out.printf("fuzz seed %d: statuses %s%n", seed, statuses);
        assertThat(surprises).as("answers outside the contract (seed %d, rerun with -Dfuzz.seed=%d)", seed, seed).isEmpty();
        assertThat(statuses.values().stream().mapToInt(AtomicInteger::get).sum()).isEqualTo(REQUESTS);
        assertThat(statuses).as("the fuzzer reaches acceptance, rejection and refusal").containsKeys(202, 400, 401, 403, 413, 415);
    }

    record Request(String method, String path, String token, String contentType, byte[] body) {
        String describe() {
            String text = new String(body, StandardCharsets.UTF_8);
            return method + " " + path + " content-type=" + contentType + " token=" + (token == null ? "none" : token.equals(TOKEN) ? "valid" : "other") + " body("
                    + body.length + ")=" + (text.length() > 300 ? text.substring(0, 300) + "..." : text);
        }
    }

    private static HttpResponse<String> send(HttpClient http, String url, Request request) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url + request.path()))
                .timeout(Duration.ofSeconds(30))
                .method(request.method(), HttpRequest.BodyPublishers.ofByteArray(request.body()));
        if (request.token() != null) {
            builder.header("Authorization", request.token().isEmpty() ? "Bearer" : "Bearer " + request.token());
        }
        if (request.contentType() != null) {
            builder.header("Content-Type", request.contentType());
        }
        try {
            return http.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("no answer to " + request.describe() + ": " + e, e);
        }
    }

    private static boolean isJsonObject(String body) {
        try {
            return new ObjectMapper().readTree(body).isObject();
        } catch (Exception e) {
            return false;
        }
    }

    private static Request request(SplittableRandom random) {
        boolean spend = random.nextBoolean();
        int roll = random.nextInt(100);
        String method = roll < 97 ? "POST" : new String[] {"GET", "PUT", "DELETE"}[random.nextInt(3)];
        String path = roll == 96 ? "/v1/" + java.net.URLEncoder.encode(word(random), StandardCharsets.UTF_8) : spend ? "/v1/spend" : "/v1/outcomes";
        String token = random.nextInt(20) == 0 ? (random.nextBoolean() ? null : random.nextBoolean() ? "" : "wrong-" + random.nextLong()) : TOKEN;
        String contentType = new String[] {"application/json", "application/x-ndjson", null, "text/plain", "application/json; charset=latin1"}[random.nextInt(5)];
        byte[] body = switch (random.nextInt(6)) {
            case 0 -> randomBytes(random);
            case 1 -> mutate(random, batch(random, spend).getBytes(StandardCharsets.UTF_8));
            case 2 -> batch(random, spend).getBytes(StandardCharsets.UTF_8);
            case 3 -> oddShape(random).getBytes(StandardCharsets.UTF_8);
            case 4 -> oversized(random, spend);
            default -> truncate(random, batch(random, spend).getBytes(StandardCharsets.UTF_8));
        };
        return new Request(method, path, token, contentType, body);
    }

    /** One to five records, as an object, an array or NDJSON, with fields good, wrong or missing. */
    private static String batch(SplittableRandom random, boolean spend) {
        int count = 1 + random.nextInt(5);
        List<String> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(record(random, spend));
        }
        return switch (random.nextInt(3)) {
            case 0 -> records.get(0);
            case 1 -> "[" + String.join(",", records) + "]";
            default -> String.join("\n", records);
        };
    }

    private static String record(SplittableRandom random, boolean spend) {
        String[] fields = spend ? SPEND_FIELDS : OUTCOME_FIELDS;
        StringBuilder json = new StringBuilder("{");
        for (String field : fields) {
            int roll = random.nextInt(10);
            if (roll == 0) {
                continue;
            }
            json.append(json.length() > 1 ? "," : "").append('"').append(field).append("\":")
                    .append(roll < 7 ? goodValue(random, field) : anyValue(random, 0));
        }
        if (random.nextInt(10) == 0) {
            json.append(json.length() > 1 ? "," : "").append('"').append(word(random)).append("\":").append(anyValue(random, 0));
        }
        return json.append('}').toString();
    }

    private static String goodValue(SplittableRandom random, String field) {
        return switch (field) {
            case "fleet" -> random.nextInt(8) == 0 ? "\"fleet-z\"" : "\"fleet-a\"";
            case "kind" -> "\"" + new String[] {"INFERENCE", "TOOL_CALL", "TRANSACTION", "HUMAN", "IDLE", "OVERHEAD"}[random.nextInt(6)] + "\"";
            case "status" -> "\"" + new String[] {"SUCCEEDED", "FAILED", "ABANDONED"}[random.nextInt(3)] + "\"";
            case "cost_micros", "value_micros", "input_tokens", "output_tokens", "human_interventions" -> Long.toString(random.nextLong(1_000_000));
            case "currency" -> "\"USD\"";
            case "occurred_at" -> random.nextBoolean() ? "\"" + Instant.now().minusSeconds(random.nextInt(3600)) + "\""
                    : Long.toString(System.currentTimeMillis() - random.nextInt(3_600_000));
            case "attributes" -> "{\"k\":\"v\"}";
            default -> "\"" + word(random) + "\"";
        };
    }

    private static String anyValue(SplittableRandom random, int depth) {
        return switch (random.nextInt(depth > 3 ? 9 : 11)) {
            case 0 -> "null";
            case 1 -> random.nextBoolean() ? "true" : "false";
            case 2 -> Long.toString(random.nextLong());
            case 3 -> Double.toString(random.nextDouble() * 1e30 - 5e29);
            case 4 -> "1" + "0".repeat(random.nextInt(1, 60));
            case 5 -> "-0.0e-999";
            case 6 -> "\"" + word(random) + "\\u0000\\ud800" + "\"";
            case 7 -> "\"" + "x".repeat(random.nextInt(2000)) + "\"";
            case 8 -> "\"1969-01-01T00:00:00Z\"";
            case 9 -> "[" + anyValue(random, depth + 1) + "," + anyValue(random, depth + 1) + "]";
            default -> "{\"" + word(random) + "\":" + anyValue(random, depth + 1) + "}";
        };
    }

    private static String oddShape(SplittableRandom random) {
        return switch (random.nextInt(12)) {
            case 0 -> "[".repeat(random.nextInt(1, 3000));
            case 1 -> "[".repeat(500) + "]".repeat(500);
            case 2 -> "{\"a\":".repeat(200) + "1" + "}".repeat(200);
            case 3 -> "\uFEFF{\"agent_id\":\"a\"}";
            case 4 -> "[1,2,3," + "4,".repeat(random.nextInt(3000)) + "5]";
            case 5 -> "null";
            case 6 -> "\"just a string\"";
            case 7 -> "{}\n{}\n\n{}";
            case 8 -> "[{}] [{}]";
            case 9 -> "{\"agent_id\":\"a\",\"agent_id\":\"b\"}";
            case 10 -> "   ";
            default -> "{\"attributes\":{\"a\":{\"b\":\"c\"}}}";
        };
    }

    private static byte[] oversized(SplittableRandom random, boolean spend) {
        StringBuilder body = new StringBuilder();
        int target = 30 * 1024 + random.nextInt(8 * 1024);
        while (body.length() < target) {
            body.append(record(random, spend)).append('\n');
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] randomBytes(SplittableRandom random) {
        byte[] bytes = new byte[random.nextInt(2000)];
        new Random(random.nextLong()).nextBytes(bytes);
        return bytes;
    }

    private static byte[] mutate(SplittableRandom random, byte[] body) {
        byte[] mutated = body.clone();
        int flips = 1 + random.nextInt(5);
        for (int i = 0; i < flips && mutated.length > 0; i++) {
            mutated[random.nextInt(mutated.length)] = (byte) random.nextInt(256);
        }
        return mutated;
    }

    private static byte[] truncate(SplittableRandom random, byte[] body) {
        return java.util.Arrays.copyOf(body, random.nextInt(body.length + 1));
    }

    private static String word(SplittableRandom random) {
        String letters = "abcxyz-_é中\"\\/";
        StringBuilder word = new StringBuilder();
        int length = 1 + random.nextInt(12);
        for (int i = 0; i < length; i++) {
            char c = letters.charAt(random.nextInt(letters.length()));
            word.append(c == '"' || c == '\\' ? "\\" + c : String.valueOf(c));
        }
        return word.toString();
    }
}
