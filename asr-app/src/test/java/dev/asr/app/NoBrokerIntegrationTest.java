package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.ingest.gateway.Tokens;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every command started before its broker: each names the address it cannot reach within 10 s,
 * {@code /readyz} says why (503, JSON) while {@code /healthz} stays 200, {@code asr simulate}
 * ends on its {@code --duration} naming the cause, and once a broker comes up on that address the
 * services carry on by themselves. Separate processes of the real {@code asr} jar.
 */
class NoBrokerIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration NAMED_WITHIN = Duration.ofSeconds(10);

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Process> processes = new ArrayList<>();
    private Path directory;

    @BeforeEach
    void directory() throws IOException {
        directory = TestKafka.temporaryDirectory("asr-no-broker-");
    }

    @AfterEach
    void stop() throws Exception {
        for (Process process : processes) {
            process.destroy();
        }
        for (Process process : processes) {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        TestKafka.deleteRecursively(directory);
    }

    @Test
    void everyServiceNamesTheAddressWithinTenSecondsSaysWhyInReadyzAndCarriesOnOnceTheBrokerComes() throws Exception {
        int kafkaPort = freePort();
        String bootstrap = "127.0.0.1:" + kafkaPort;
        String registry = "embedded:" + directory.resolve("schemas");
        int streamsPort = freePort();
        int exporterPort = freePort();
        int ingestPort = freePort();
        Path tokens = directory.resolve("tokens");
        Files.writeString(tokens, Tokens.line("tok-" + kafkaPort, "*") + "\n");
        Path config = directory.resolve("asr.properties");
        Files.writeString(config, String.join("\n",
                "asr.streams.metrics-port=" + streamsPort,
                "asr.streams.host=127.0.0.1",
                "asr.exporter.port=" + exporterPort,
                "asr.exporter.host=127.0.0.1",
                "asr.ingest.port=" + ingestPort,
                "asr.ingest.host=127.0.0.1",
                "asr.ingest.tokens-file=" + tokens,
                "state.dir=" + directory.resolve("state"),
                ""));
        long started = System.nanoTime();
        Path streamsLog = start("streams", "streams", "--config", config.toString(), "--bootstrap-servers", bootstrap,
                "--schema-registry-url", registry, "--create-topics", "1");
        Path exporterLog = start("exporter", "exporter", "--config", config.toString(), "--bootstrap-servers", bootstrap,
                "--schema-registry-url", registry);
        Path ingestLog = start("ingest", "ingest", "--config", config.toString(), "--bootstrap-servers", bootstrap,
                "--schema-registry-url", registry);

        String named = "cannot reach Kafka at " + bootstrap;
        for (Path log : List.of(streamsLog, exporterLog, ingestLog)) {
            awaitLog(log, named, started, NAMED_WITHIN);
        }
        for (int port : List.of(streamsPort, exporterPort, ingestPort)) {
            HttpResponse<String> ready = get(port, "/readyz");
            assertThat(ready.statusCode()).as("/readyz on %d: %s", port, ready.body()).isEqualTo(503);
            JsonNode body = JSON.readTree(ready.body());
            assertThat(body.path("status").asText()).isEqualTo("not ready");
            assertThat(body.path("reason").asText()).as("reason on %d", port).contains(named, "bootstrap.servers");
            HttpResponse<String> alive = get(port, "/healthz");
            assertThat(alive.statusCode()).as("alive while the broker is away: nothing to restart").isEqualTo(200);
            assertThat(JSON.readTree(alive.body()).path("status").asText()).isEqualTo("ok");
        }

        Path brokerLog = start("broker", "broker", "--port", Integer.toString(kafkaPort), "--data-dir", directory.resolve("broker").toString());
        awaitLog(brokerLog, "Kafka broker ready at", System.nanoTime(), Duration.ofSeconds(60));
        for (int port : List.of(streamsPort, ingestPort)) {
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            HttpResponse<String> ready;
            while ((ready = get(port, "/readyz")).statusCode() != 200) {
                assertThat(System.nanoTime()).as("ready within 90 s of the broker (now %s); streams log:%n%s", ready.body(),
                        Files.readString(streamsLog)).isLessThan(deadline);
                Thread.sleep(500);
            }
            assertThat(JSON.readTree(ready.body()).path("status").asText()).isEqualTo("ready");
        }
        assertThat(Files.readString(streamsLog)).contains("asr streams reaches Kafka at " + bootstrap);
    }

    @Test
    void simulateEndsOnItsDurationNamingTheBrokerItCouldNotReach() throws Exception {
        String bootstrap = "127.0.0.1:" + freePort();
        long started = System.nanoTime();
        Path log = start("simulate", "simulate", "--duration", "10s", "--bootstrap-servers", bootstrap, "--schema-registry-url",
                "embedded:" + directory.resolve("schemas"));
        Process simulate = processes.get(processes.size() - 1);
        awaitLog(log, "cannot reach Kafka at " + bootstrap, started, NAMED_WITHIN);
        assertThat(simulate.waitFor(30, TimeUnit.SECONDS)).as("ends after its 10 s (JVM start and 10 s grace aside); log:%n%s",
                Files.readString(log)).isTrue();
        assertThat(simulate.exitValue()).isNotZero();
        assertThat(Files.readString(log)).contains("asr simulate: nothing was sent in --duration 10s: cannot reach Kafka at " + bootstrap);
    }

    @Test
    void brokerOnATakenPortNamesTheFlag() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            Path log = start("broker", "broker", "--port", Integer.toString(taken.getLocalPort()), "--data-dir",
                    directory.resolve("broker").toString());
            Process broker = processes.get(processes.size() - 1);
            assertThat(broker.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(broker.exitValue()).isNotZero();
            assertThat(Files.readString(log)).contains("port " + taken.getLocalPort() + " on localhost is in use", "pass another --port");
        }
    }

    private Path start(String name, String... args) throws IOException {
        Path log = directory.resolve(name + ".log");
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
                "-jar", Path.of("target", "asr.jar").toString()));
        command.addAll(List.of(args));
        processes.add(new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start());
        return log;
    }

    private static void awaitLog(Path log, String text, long startedNanos, Duration within) throws Exception {
        long deadline = startedNanos + within.toNanos();
        while (true) {
            String content = Files.exists(log) ? Files.readString(log) : "";
            if (content.contains(text)) {
                return;
            }
            assertThat(System.nanoTime()).as("'%s' in %s within %s; log:%n%s", text, log.getFileName(), within, content)
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
