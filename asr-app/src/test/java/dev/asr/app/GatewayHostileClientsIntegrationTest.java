package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.ingest.gateway.Tokens;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * {@code asr ingest} as a separate process with a 512 MB heap that dies on running out of it, under
 * clients that would break a naive server: many large bodies of invalid records at once, slow
 * clients holding connections, a body that never finishes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GatewayHostileClientsIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TOKEN_A = "tok-a-" + UUID.randomUUID();
    private static final String TOKEN_B = "tok-b-" + UUID.randomUUID();
    /** Replaced by TOKEN_C in a line of the same length, the file's time kept: only SIGHUP makes the gateway see it. */
    private static final String TOKEN_D = "tok-d-" + UUID.randomUUID();
    private static final String TOKEN_C = "tok-c-" + UUID.randomUUID();
    private static final Duration BODY_TIMEOUT = Duration.ofSeconds(5);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private Path directory;
    private Process gateway;
    private int port;
    private Path tokens;

    @BeforeAll
    void start() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        directory = TestKafka.temporaryDirectory("asr-gateway-hostile-");
        Path schemas = directory.resolve("schemas");
        TopicNames names = TestTopics.fresh();
        TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(schemas), 1);
        tokens = directory.resolve("tokens");
        Files.writeString(tokens, Tokens.line(TOKEN_A, "a") + "\n" + Tokens.line(TOKEN_B, "b") + "\n" + Tokens.line(TOKEN_D, "d") + "\n");
        port = freePort();
        Path config = directory.resolve("gateway.properties");
        Files.writeString(config, String.join("\n",
                "bootstrap.servers=" + bootstrap,
                "schema.registry.url=embedded:" + schemas,
                "asr.topic.spend=" + names.spend(),
                "asr.topic.outcomes=" + names.outcomes(),
                "asr.ingest.port=" + port,
                "asr.ingest.host=127.0.0.1",
                "asr.ingest.tokens-file=" + tokens,
                "asr.ingest.body-timeout=" + BODY_TIMEOUT.toSeconds() + "s",
                "asr.ingest.max-requests-per-token=16",
                ""));
        gateway = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-XX:+ExitOnOutOfMemoryError", "-jar", Path.of("target", "asr.jar").toString(), "ingest", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(directory.resolve("gateway.log").toFile()).start();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            assertThat(gateway.isAlive()).as("asr ingest is running; log:%n%s", log()).isTrue();
            assertThat(System.nanoTime()).as("asr ingest answers /healthz within 60 s; log:%n%s", log()).isLessThan(deadline);
            try {
                if (get("/healthz").statusCode() == 200) {
                    break;
                }
            } catch (IOException notYet) {
                Thread.sleep(200);
            }
        }
    }

    @AfterAll
    void stop() throws Exception {
        if (gateway != null) {
            gateway.destroy();
            gateway.waitFor(30, TimeUnit.SECONDS);
            gateway.destroyForcibly();
        }
        TestKafka.deleteRecursively(directory);
    }

    @Test
    void sixteenConcurrentFiveMegabyteBodiesOfInvalidRecordsAreAnsweredWithinHalfAGigabyteOfHeap() throws Exception {
        String item = "{\"fleet\":\"a\"}\n";
        int items = 5_000_000 / item.length();
        byte[] body = item.repeat(items).getBytes(StandardCharsets.UTF_8);
        List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            answers.add(http.sendAsync(post("/v1/spend", TOKEN_B, body), HttpResponse.BodyHandlers.ofString()));
        }
        for (CompletableFuture<HttpResponse<String>> answer : answers) {
            HttpResponse<String> response = answer.get(120, TimeUnit.SECONDS);
            assertThat(response.statusCode()).as("answer %s; log:%n%s", response.body(), log()).isEqualTo(400);
            JsonNode report = JSON.readTree(response.body());
            assertThat(report.get("rejected").asInt()).isEqualTo(items);
            assertThat(report.get("errors")).hasSize(100);
            assertThat(report.get("errors").get(0).get("error").asText()).isEqualTo("cost_micros is missing: give it as a whole number >= 0");
        }
        assertThat(gateway.isAlive()).as("the gateway did not run out of its 512 MB; log:%n%s", log()).isTrue();
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
    }

    /**
     * OTLP's worst case for memory: a small gzip body that inflates to the body limit, decoded into
     * span objects (many times its bytes); sixteen at once, every span refused (no agent). Those
     * decoded are answered 200 with partial_success, the rest 429 to retry, within the same 512 MB
     * (without the cap on concurrent decoding the gateway ran out of it).
     */
    @Test
    void sixteenConcurrentGzipBodiesOfFiveMegabytesOfSpansAreAnsweredWithinHalfAGigabyteOfHeap() throws Exception {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder();
        KeyValue chat = KeyValue.newBuilder().setKey("gen_ai.operation.name").setValue(AnyValue.newBuilder().setStringValue("chat")).build();
        ByteString trace = ByteString.copyFrom(new byte[16]);
        int spans = 0;
        while (scope.build().getSerializedSize() < 4_900_000) {
            for (int i = 0; i < 1_000; i++, spans++) {
                scope.addSpans(io.opentelemetry.proto.trace.v1.Span.newBuilder().setTraceId(trace)
                        .setSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(spans).array())).setName("chat")
                        .setEndTimeUnixNano(System.currentTimeMillis() * 1_000_000).addAttributes(chat)
                        .addAttributes(KeyValue.newBuilder().setKey("gen_ai.response.model").setValue(AnyValue.newBuilder()
                                .setStringValue("gpt-4o"))));
            }
        }
        byte[] plain = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(scope)).build()
                .toByteArray();
        assertThat(plain.length).isLessThan(5 << 20);
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(plain);
        }
        List<CompletableFuture<HttpResponse<byte[]>>> answers = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            answers.add(http.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/traces"))
                    .timeout(Duration.ofSeconds(120)).header("Authorization", "Bearer " + TOKEN_B).header("Content-Type", "application/x-protobuf")
                    .header("Content-Encoding", "gzip").POST(HttpRequest.BodyPublishers.ofByteArray(zipped.toByteArray())).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<byte[]>> answer : answers) {
            HttpResponse<byte[]> response = answer.get(120, TimeUnit.SECONDS);
            statuses.add(response.statusCode());
            assertThat(response.statusCode()).as("log:%n%s", log()).isIn(200, 429);
            if (response.statusCode() == 200) {
                assertThat(ExportTraceServiceResponse.parseFrom(response.body()).getPartialSuccess().getRejectedSpans()).isEqualTo(spans);
            } else {
                assertThat(response.headers().firstValue("Retry-After")).isPresent();
            }
        }
        assertThat(statuses).as("those over asr.otel.decode-budget wait their turn (429), the others are decoded").contains(200);
        assertThat(gateway.isAlive()).as("the gateway did not run out of its 512 MB; log:%n%s", log()).isTrue();
        assertThat(get("/healthz").statusCode()).isEqualTo(200);
    }

    @Test
    void sixtyFourSlowClientsOfOneTokenDelayNeitherHealthNorAnotherTokensRequest() throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 64; i++) {
                Socket socket = new Socket("127.0.0.1", port);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/spend HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + TOKEN_A + "\r\nContent-Type:"
                        + " application/json\r\nContent-Length: 100000\r\n\r\n[").getBytes(StandardCharsets.US_ASCII));
                out.flush();
                slow.add(socket);
            }
            Thread.sleep(500);

            long started = System.nanoTime();
            assertThat(get("/healthz").statusCode()).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("/healthz beside 64 slow clients").isLessThan(Duration.ofSeconds(1));

            started = System.nanoTime();
            HttpResponse<String> other = http.send(post("/v1/spend", TOKEN_B, spend("b").getBytes(StandardCharsets.UTF_8)),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(other.statusCode()).as(other.body()).isEqualTo(202);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("another token's request beside 64 slow clients")
                    .isLessThan(Duration.ofSeconds(1));

            int refused = 0;
            for (Socket socket : slow) {
                String answer = readSome(socket, Duration.ofMillis(200));
                if (answer.startsWith("HTTP/1.1 429")) {
                    assertThat(answer).contains("Retry-After", "asr.ingest.max-requests-per-token");
                    refused++;
                }
            }
            assertThat(refused).as("slow clients of token a past its cap of 16, refused at once").isEqualTo(64 - 16);
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
    }

    @Test
    void aBodyThatNeverFinishesIsAnswered408AtTheDeadlineAndItsConnectionClosed() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(("POST /v1/spend HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + TOKEN_A
                    + "\r\nContent-Length: 1000\r\n\r\n[{\"fleet\"").getBytes(StandardCharsets.US_ASCII));
            long started = System.nanoTime();
            String answer = readSome(socket, BODY_TIMEOUT.plusSeconds(10));
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThan(BODY_TIMEOUT.minusSeconds(1));
            assertThat(answer).startsWith("HTTP/1.1 408").contains("asr.ingest.body-timeout");
            socket.setSoTimeout(5_000);
            InputStream in = socket.getInputStream();
            while (in.read() >= 0) {
                // the rest of the answer, then the end of the stream: the gateway closed the connection
            }
        }
    }

    @Test
    void sighupReadsTheTokensFileAgain() throws Exception {
        // A process started with SIGHUP ignored (Maven under nohup) passes that on to the gateway, which then cannot take it.
        org.junit.jupiter.api.Assumptions.assumeFalse(hangUpIgnoredHere(), "SIGHUP is ignored in this process tree (nohup)");
        java.nio.file.attribute.FileTime time = Files.getLastModifiedTime(tokens);
        String before = Files.readString(tokens);
        String after = before.replace(Tokens.line(TOKEN_D, "d"), Tokens.line(TOKEN_C, "d"));
        assertThat(after).hasSameSizeAs(before).isNotEqualTo(before);
        Files.writeString(tokens, after);
        Files.setLastModifiedTime(tokens, time);
        Thread.sleep(5_000); // two looks at the file: same time, same size, same file
        assertThat(postSpend(TOKEN_C, "d")).as("the change is not seen without the signal").isEqualTo(401);

        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        long nextSignal = 0;
        while (postSpend(TOKEN_C, "d") != 202) {
            assertThat(System.nanoTime()).as("SIGHUP reloads the tokens; log:%n%s", log()).isLessThan(deadline);
            if (System.nanoTime() >= nextSignal) {
                // Sent again every few seconds, should one arrive before the handler is in place.
                assertThat(new ProcessBuilder("kill", "-HUP", Long.toString(gateway.pid())).inheritIO().start().waitFor()).isZero();
                nextSignal = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            }
            Thread.sleep(100);
        }
        assertThat(postSpend(TOKEN_D, "d")).isEqualTo(401);
        assertThat(gateway.isAlive()).isTrue();
        assertThat(log()).contains("Tokens reloaded from", "(SIGHUP): 3 token(s)");
    }

    private static boolean hangUpIgnoredHere() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("SigIgn:")) {
                return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & 1L) != 0;
            }
        }
        return false;
    }

    private int postSpend(String token, String fleet) throws Exception {
        return http.send(post("/v1/spend", token, spend(fleet).getBytes(StandardCharsets.UTF_8)), HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    /** What arrived on {@code socket} within {@code wait} (empty if nothing). */
    private static String readSome(Socket socket, Duration wait) throws IOException {
        socket.setSoTimeout((int) wait.toMillis());
        byte[] buffer = new byte[8192];
        try {
            int read = socket.getInputStream().read(buffer);
            return read < 0 ? "" : new String(buffer, 0, read, StandardCharsets.US_ASCII);
        } catch (SocketTimeoutException nothing) {
            return "";
        }
    }

    private static String spend(String fleet) {
        return "{\"event_id\":\"" + UUID.randomUUID() + "\",\"agent_id\":\"bot-" + fleet + "\",\"fleet\":\"" + fleet
                + "\",\"kind\":\"INFERENCE\",\"cost_micros\":10,\"occurred_at\":\"" + Instant.now() + "\"}";
    }

    private HttpRequest post(String path, String token, byte[] body) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(120))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private String log() {
        try {
            return Files.readString(directory.resolve("gateway.log"));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
