package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The runnable jar's demo, as a separate process: it starts, prints rates, takes a record at the
 * gateway it prints, exits 0 and resumes on its data (the second time with the fleet reporting
 * through that gateway).
 */
class DemoIntegrationTest {

    private static final Pattern RATE_LINE = Pattern.compile(
            "\\[\\d\\d:\\d\\d] asr\\.spend\\.v1 +(\\d+\\.\\d) ev/s +\\(([\\d,]+)\\) +asr\\.outcomes\\.v1 +(\\d+\\.\\d) ev/s +\\(([\\d,]+)\\) +failed 0");
    private static final Pattern GATEWAY = Pattern.compile("Ingest gateway +(http://\\S+)/v1/spend and /v1/outcomes, bearer token (\\S+) ");
    private static final Pattern SUMMARY = Pattern.compile("Stopped: ([\\d,]+) spend and ([\\d,]+) outcome events acknowledged by Kafka, 0 failed");

    @TempDir
    Path data;

    @Test
    void startsPrintsRatesTakesARecordAtItsGatewayExitsZeroAndResumesOnTheSameData() throws Exception {
        Path log = Files.createTempFile("demo", ".log");
        Process process = demo(log, "--duration", "12s", "--progress-interval", "2s", "--rate", "300", "--seed", "7");
        Matcher gateway = awaitLine(process, log, GATEWAY);
        String record = "{\"event_id\":\"demo-it-1\",\"agent_id\":\"curl-bot\",\"fleet\":\"ops\",\"kind\":\"INFERENCE\","
                + "\"cost_micros\":1500,\"occurred_at\":\"" + Instant.now().truncatedTo(ChronoUnit.MILLIS) + "\"}";
        HttpResponse<String> posted = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gateway.group(1) + "/v1/spend"))
                .header("Authorization", "Bearer " + gateway.group(2)).POST(HttpRequest.BodyPublishers.ofString(record)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);

        Run first = finish(process, log);
        assertThat(first.exitCode).as(first.output).isZero();
        assertThat(first.output).contains("Kafka broker     localhost:", "Data             new data directory", "via the Java SDK");
        List<Double> spendRates = new ArrayList<>();
        Matcher rate = RATE_LINE.matcher(first.output);
        while (rate.find()) {
            spendRates.add(Double.parseDouble(rate.group(1)));
        }
        assertThat(spendRates).as(first.output).hasSizeGreaterThanOrEqualTo(4).allSatisfy(r -> assertThat(r).isPositive());
        Matcher summary = SUMMARY.matcher(first.output);
        assertThat(summary.find()).as(first.output).isTrue();
        long spend = Long.parseLong(summary.group(1).replace(",", ""));
        long outcomes = Long.parseLong(summary.group(2).replace(",", ""));
        assertThat(spend).isGreaterThan(1_000);

        Path secondLog = Files.createTempFile("demo", ".log");
        Run second = finish(demo(secondLog, "--duration", "4s", "--progress-interval", "1s", "--via", "gateway"), secondLog);
        assertThat(second.exitCode).as(second.output).isZero();
        assertThat(second.output).as("the fleet's records and the one posted at the gateway").contains(String.format(
                "resuming: asr.spend.v1 holds %,d records; asr.outcomes.v1 holds %,d records", spend + 1, outcomes));
        assertThat(second.output).contains("via the ingest gateway");
        Matcher secondSummary = SUMMARY.matcher(second.output);
        assertThat(secondSummary.find()).as(second.output).isTrue();
        assertThat(Long.parseLong(secondSummary.group(1).replace(",", ""))).as("spend events through the gateway").isPositive();
    }

    /**
     * The README's recipe: a real Prometheus with the shipped {@code deploy/prometheus/demo.yml} (its
     * ports turned into the ones this demo took, nothing else changed) scrapes all three services
     * and loads the rules.
     */
    @Test
    void theShippedPrometheusRecipeScrapesTheDemosThreeServices() throws Exception {
        Path log = Files.createTempFile("demo", ".log");
        Process process = demo(log, "--duration", "90s", "--progress-interval", "5s");
        try {
            Matcher gateway = awaitLine(process, log, GATEWAY);
            Matcher exporter = awaitLine(process, log, Pattern.compile("Prometheus +http://localhost:(\\d+)/metrics"));
            Matcher streams = awaitLine(process, log, Pattern.compile("its own metrics at http://localhost:(\\d+)/metrics"));
            String shipped = Files.readString(Path.of("..", "deploy", "prometheus", "demo.yml"));
            Path directory = data.resolve("prometheus");
            Files.createDirectories(directory);
            Files.copy(Path.of("..", "deploy", "prometheus", "asr-rules.yml"), directory.resolve("asr-rules.yml"));
            Files.writeString(directory.resolve("demo.yml"), shipped.replace("localhost:9400", "localhost:" + exporter.group(1))
                    .replace("localhost:9401", "localhost:" + streams.group(1))
                    .replace("localhost:8080", gateway.group(1).replace("http://", "")));
            int port;
            try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + directory.resolve("demo.yml"),
                    "--storage.tsdb.path=" + directory.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(directory.resolve("prometheus.log").toFile()).start();
            try {
                String api = "http://127.0.0.1:" + port + "/api/v1/";
                for (String query : List.of("up{job=\"asr-exporter\"} == 1", "up{job=\"asr-streams\"} == 1", "up{job=\"asr-ingest\"} == 1",
                        "asr_streams_up == 1", "asr_ingest_kafka_up == 1", "asr_ingest_requests_total{endpoint=\"/metrics\",code=\"200\"} > 0")) {
                    awaitQuery(api, query, prometheus, directory.resolve("prometheus.log"));
                }
                String rules = get(api + "rules");
                assertThat(rules).contains("AsrFleetBandDrop", "fleet:asr_ratio:increase1h", "AsrAllowanceFastBurn");
                // Trading bots ask before each transaction: decisions are counted, and a bot rated
                // self-directed gets the larger limit (the demo prints the change).
                awaitQuery(api, "asr_allowance_decisions_total{decision=\"ALLOW\"} > 0", prometheus, directory.resolve("prometheus.log"));
                awaitLine(process, log, Pattern.compile("allowances: .*UNRATED \\d+ ALLOW"));
                Matcher promoted = awaitLine(process, log,
                        Pattern.compile("allowance (trading-bot-\\d+) +UNRATED -> SELF_DIRECTED: limit 20\\.00 -> 2,000\\.00"));
                // The read API answers that bot with one token: its allowance (the gateway's) and its figures per view (the topology's).
                HttpResponse<String> read = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(gateway.group(1)
                        + "/v1/agents/trading/" + promoted.group(1))).header("Authorization", "Bearer " + gateway.group(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
                assertThat(read.body()).contains("\"limit_micros\":2000000000", "\"views\":{\"1m\":{", "\"1h\":{", "\"asr\":");
            } finally {
                prometheus.destroy();
                prometheus.waitFor(20, TimeUnit.SECONDS);
            }
        } finally {
            process.destroy();
            process.waitFor(60, TimeUnit.SECONDS);
        }
    }

    private static void awaitQuery(String api, String query, Process prometheus, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            assertThat(prometheus.isAlive()).as("prometheus runs: %s", Files.readString(log)).isTrue();
            try {
                String answer = get(api + "query?query=" + java.net.URLEncoder.encode(query, StandardCharsets.UTF_8));
                if (!answer.contains("\"result\":[]")) {
                    return;
                }
            } catch (IOException notYet) {
                // Prometheus is still starting.
            }
            Thread.sleep(500);
        }
        throw new AssertionError("Prometheus never answered " + query + "; log:\n" + Files.readString(log));
    }

    private static String get(String url) throws IOException, InterruptedException {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private Process demo(Path log, String... flags) throws IOException {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx512m", "-jar", jar().toString(), "demo",
                "--port", "0", "--streams-metrics-port", "0", "--exporter-port", "0", "--ingest-port", "0",
                "--data-dir", data.toString()));
        command.addAll(List.of(flags));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static Matcher awaitLine(Process process, Path log, Pattern line) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < deadline && process.isAlive()) {
            Matcher matcher = line.matcher(Files.readString(log, StandardCharsets.UTF_8));
            if (matcher.find()) {
                return matcher;
            }
            Thread.sleep(100);
        }
        process.destroyForcibly();
        throw new AssertionError("the demo never printed " + line + ":\n" + Files.readString(log, StandardCharsets.UTF_8));
    }

    private static Run finish(Process process, Path log) throws IOException, InterruptedException {
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("demo did not exit within 120 s:\n" + Files.readString(log));
        }
        return new Run(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private static Path jar() {
        Path jar = Path.of("target", "asr.jar");
        assertThat(jar).as("the shaded jar is built in the package phase, before integration tests").exists();
        return jar;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private record Run(int exitCode, String output) {}
}
