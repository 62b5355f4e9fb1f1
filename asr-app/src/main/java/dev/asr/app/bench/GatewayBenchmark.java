package dev.asr.app.bench;

import dev.asr.ingest.gateway.GatewaySettings;
import dev.asr.ingest.gateway.IngestGateway;
import dev.asr.ingest.gateway.Tokens;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The HTTP gateway under load over loopback, answering 202 only after Kafka acknowledged: first
 * throughput with batched NDJSON from several connections at once, then latency at a fixed rate
 * measured from when each request was due (so a stall counts against every request it delays).
 * The broker runs in its own process; gateway and load generator share this one.
 */
public final class GatewayBenchmark {

    private static final double TARGET_EVENTS_PER_SECOND = 50_000;
    private static final double TARGET_P99_MS = 50;
    private static final String TOKEN = "bench-token";

    private final Duration duration;
    private final int batch;
    private final int connections;
    private final double rate;
    private final int rateBatch;
    private final PrintWriter out;
    private final AtomicLong accepted = new AtomicLong();

    public GatewayBenchmark(Duration duration, int batch, int connections, double rate, int rateBatch, PrintWriter out) {
        this.duration = duration;
        this.batch = batch;
        this.connections = connections;
        this.rate = rate;
        this.rateBatch = rateBatch;
        this.out = out;
    }

    public boolean run() throws Exception {
        try (ChildBroker broker = ChildBroker.start("asr-bench-gateway")) {
            String bootstrap = broker.bootstrapServers();
            Path directory = broker.directory();
            Topics topics = broker.topics(TopicNames.DEFAULTS, 4);
            GatewaySettings settings = GatewaySettings.from(Map.of("bootstrap.servers", bootstrap, "schema.registry.url",
                    RegistrySettings.EMBEDDED_PREFIX + directory.resolve("schemas"), "asr.ingest.port", "0"));
            out.printf(Locale.ROOT, "ASR gateway benchmark: %d cores, max heap %d MB; broker in its own process; acks=all, idempotent%n",
                    Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
            out.flush();
            try (IngestGateway gateway = IngestGateway.start(settings, Tokens.of(List.of(new Tokens.Grant(Tokens.hash(TOKEN), Set.of("*")))))) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .executor(Executors.newFixedThreadPool(Math.max(4, connections), Load.named("http"))).build();
                URI spend = URI.create(gateway.url() + "/v1/spend");
                throughput(http, spend, Duration.ofSeconds(3));
                ThreadCpu before = ThreadCpu.now();
                double brokerBefore = broker.cpuSeconds();
                long eventsBefore = accepted.get();
                double eventsPerSecond = throughput(http, spend, duration);
                Map<String, Double> cpu = ThreadCpu.now().since(before, Load::role);
                double brokerCpu = broker.cpuSeconds() - brokerBefore;
                long events = accepted.get() - eventsBefore;
                double total = cpu.values().stream().mapToDouble(Double::doubleValue).sum() + brokerCpu;
                out.printf(Locale.ROOT, "  cpu in that run        %.1f s: gateway %.0f%% (%.1f µs/event), load generator %.0f%%, GC and JIT %.0f%%,"
                                + " broker %.0f%% (of %.1f s of wall clock on %d cores)%n", total,
                        100 * cpu.getOrDefault("gateway", 0.0) / total, cpu.getOrDefault("gateway", 0.0) * 1e6 / events,
                        100 * cpu.getOrDefault("load", 0.0) / total, 100 * cpu.getOrDefault("other", 0.0) / total, 100 * brokerCpu / total,
                        duration.toMillis() / 1000.0, Runtime.getRuntime().availableProcessors());
                out.flush();
                long peakHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                Load.Latency latency = fixedRate(http, spend);
                long inTopic = Load.recordsIn(bootstrap, topics.spend().name());
                out.printf(Locale.ROOT, "  check                  %,d events answered 202, %,d records in %s%s%n", accepted.get(), inTopic,
                        topics.spend().name(), inTopic >= accepted.get() ? "" : ": RECORDS MISSING");
                if (inTopic < accepted.get()) {
                    return false;
                }
                boolean met = eventsPerSecond >= TARGET_EVENTS_PER_SECOND && latency.percentile(0.99) <= TARGET_P99_MS;
                out.printf(Locale.ROOT, "  heap                   %d MB in use after the throughput run (gateway, client and load generator)%n",
                        peakHeap >> 20);
                out.printf(Locale.ROOT, "  targets                >= %,.0f events/s and p99 <= %.0f ms at %,.0f events/s: %s%n",
                        TARGET_EVENTS_PER_SECOND, TARGET_P99_MS, rate, met ? "met" : "NOT met");
                out.flush();
            }
            return true;
        }
    }

    /** Every connection posts batch after batch for the length; returns events accepted per second. */
    private double throughput(HttpClient http, URI uri, Duration length) throws Exception {
        Load.Run run = Load.closedLoop(http, connections, length, (connection, sequence) -> request(uri, body(batch, "t" + connection + "-"
                + sequence)), response -> {
                    if (response.statusCode() != 202) {
                        throw new IllegalStateException("the gateway answered " + response.statusCode() + ": "
                                + new String(response.body(), StandardCharsets.UTF_8));
                    }
                });
        long events = run.requests() * batch;
        accepted.addAndGet(events);
        if (length.equals(duration)) {
            out.printf(Locale.ROOT, "  throughput             %,.0f events/s accepted (%,d events in %,d requests of %d, %d connections, %.1f s)%n",
                    events / run.seconds(), events, run.requests(), batch, connections, run.seconds());
            out.flush();
        }
        return events / run.seconds();
    }

    /** Requests of {@code rateBatch} events fired on a fixed schedule, each timed from when it was due. */
    private Load.Latency fixedRate(HttpClient http, URI uri) throws Exception {
        Load.Latency latency = Load.fixedRate(http, rate / rateBatch, duration, index -> request(uri, body(rateBatch, "r" + index)),
                response -> response.statusCode() == 202);
        accepted.addAndGet(latency.answered() * rateBatch);
        out.printf(Locale.ROOT, "  latency at %,.0f ev/s   p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%,d requests of %d"
                        + " events after %d warm-up, %d not 202%s)%n", rate, latency.percentile(0.50), latency.percentile(0.90),
                latency.percentile(0.99), latency.percentile(0.999), latency.maxMillis(), latency.sortedNanos().length, rateBatch,
                latency.warmup(), latency.failures(), latency.failedWith().isEmpty() ? "" : ": " + latency.failedWith());
        out.flush();
        return latency;
    }

    private static HttpRequest request(URI uri, String body) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/x-ndjson")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** NDJSON of inference spend, as an agent runtime would batch it: ~230 bytes a record. */
    private static String body(int records, String prefix) {
        StringBuilder body = new StringBuilder(records * 240);
        String now = Instant.now().toString();
        for (int i = 0; i < records; i++) {
            body.append("{\"event_id\":\"").append(prefix).append('-').append(i).append("\",\"agent_id\":\"agent-").append(i % 200)
                    .append("\",\"fleet\":\"bench\",\"task_id\":\"task-").append(prefix).append('-').append(i / 5)
                    .append("\",\"kind\":\"INFERENCE\",\"cost_micros\":").append(1_000 + i)
                    .append(",\"input_tokens\":1800,\"output_tokens\":240,\"model\":\"gpt-4.1-mini\",\"occurred_at\":\"").append(now)
                    .append("\"}\n");
        }
        return body.toString();
    }
}
