package dev.asr.schemas.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Prometheus server (Debian's package; .ci/run installs it) on loopback, scraping targets
 * every second and evaluating the shipped rules every second, with waits on its HTTP API.
 */
public final class RealPrometheus implements AutoCloseable {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final Path log;
    private final String api;

    private RealPrometheus(Process process, Path log, String api) {
        this.process = process;
        this.log = log;
        this.api = api;
    }

    /** A scrape job's name and its {@code host:port} target. */
    public record Job(String name, String target) {}

    /** Starts Prometheus in {@code directory} with the rule file {@code rules} (copied) and one target per job. */
    public static RealPrometheus start(Path directory, Path rules, Job... jobs) throws IOException {
        Files.createDirectories(directory);
        Path copied = directory.resolve("rules.yml");
        Files.copy(rules, copied);
        List<String> config = new ArrayList<>(List.of("global:", "  scrape_interval: 1s", "  evaluation_interval: 1s", "rule_files:",
                "  - " + copied, "scrape_configs:"));
        for (Job job : jobs) {
            config.addAll(List.of("  - job_name: " + job.name(), "    static_configs:", "      - targets: ['" + job.target() + "']"));
        }
        Path file = directory.resolve("prometheus.yml");
        Files.writeString(file, String.join("\n", config) + "\n");
        int port = freePort();
        Path log = directory.resolve("prometheus.log");
        Process process = new ProcessBuilder(binary("prometheus"), "--config.file=" + file, "--storage.tsdb.path=" + directory.resolve("tsdb"),
                "--web.listen-address=127.0.0.1:" + port).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new RealPrometheus(process, log, "http://127.0.0.1:" + port + "/api/v1/");
    }

    /** The result of {@code query} once it is not empty, within a minute. */
    public JsonNode awaitQuery(String query) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            requireAlive();
            try {
                JsonNode result = JSON.readTree(get("query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8))).at("/data/result");
                if (result.isArray() && !result.isEmpty()) {
                    return result;
                }
            } catch (IOException notUp) {
                // Prometheus is still starting.
            }
            Thread.sleep(250);
        }
        throw new AssertionError("Prometheus never answered " + query + "; log:\n" + log());
    }

    /** The first active alert named {@code name} in state {@code state} (or any state when null), within a minute. */
    public JsonNode awaitAlert(String name, String state) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            requireAlive();
            for (JsonNode alert : alerts()) {
                if (alert.at("/labels/alertname").asText().equals(name) && (state == null || alert.path("state").asText().equals(state))) {
                    return alert;
                }
            }
            Thread.sleep(250);
        }
        throw new AssertionError(name + " never became " + (state == null ? "active" : state) + "; alerts: " + alerts() + "\nlog:\n" + log());
    }

    /** The alerts active now. */
    public JsonNode alerts() throws Exception {
        try {
            return JSON.readTree(get("alerts")).at("/data/alerts");
        } catch (IOException notUp) {
            return JSON.createArrayNode();
        }
    }

    private void requireAlive() {
        if (!process.isAlive()) {
            throw new AssertionError("prometheus stopped: " + log());
        }
    }

    private String get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api + path)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    public String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log)";
        }
    }

    /** The path of a Prometheus binary, or an error that says how to install it. */
    public static String binary(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
            Path candidate = Path.of(dir, name);
            if (candidate.toFile().canExecute()) {
                return candidate.toString();
            }
        }
        throw new AssertionError(name + " is not on the PATH: install Debian's prometheus package"
                + " (apt-get install -y prometheus; .ci/run does) to run the deploy/ checks");
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
