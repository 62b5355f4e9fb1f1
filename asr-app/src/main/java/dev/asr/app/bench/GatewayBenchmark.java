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
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

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
                Latency latency = fixedRate(http, spend);
                long inTopic = Load.recordsIn(bootstrap, topics.spend().name());
                out.printf(Locale.ROOT, "  check                  %,d events answered 202, %,d records in %s%s%n", accepted.get(), inTopic,
                        topics.spend().name(), inTopic >= accepted.get() ? "" : ": RECORDS MISSING");
                if (inTopic < accepted.get()) {
                    return false;
                }
                boolean met = eventsPerSecond >= TARGET_EVENTS_PER_SECOND && latency.p99 <= TARGET_P99_MS;
                out.printf(Locale.ROOT, "  heap                   %d MB in use after the throughput run (gateway, client and load generator)%n",
                        peakHeap >> 20);
                out.printf(Locale.ROOT, "  targets                >= %,.0f events/s and p99 <= %.0f ms at %,.0f events/s: %s%n",
                        TARGET_EVENTS_PER_SECOND, TARGET_P99_MS, rate, met ? "met" : "NOT met");
                out.flush();
            }
            return true;
        }
    }

    /** Every connection posts batch after batch for the duration; returns events accepted per second. */
    private double throughput(HttpClient http, URI uri, Duration length) throws Exception {
        AtomicLong events = new AtomicLong();
        AtomicLong requests = new AtomicLong();
        long end = System.nanoTime() + length.toNanos();
        long start = System.nanoTime();
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            int connection = c;
            loops.add(CompletableFuture.runAsync(() -> {
                long sequence = 0;
                while (System.nanoTime() < end) {
                    String body = body(batch, "t" + connection + "-" + sequence++);
                    HttpResponse<String> response = send(http, uri, body);
                    if (response.statusCode() != 202) {
                        throw new IllegalStateException("the gateway answered " + response.statusCode() + ": " + response.body());
                    }
                    events.addAndGet(batch);
                    accepted.addAndGet(batch);
                    requests.incrementAndGet();
                }
            }, Executors.newSingleThreadExecutor(Load.named("loop-" + c + "-"))));
        }
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (length.equals(duration)) {
            out.printf(Locale.ROOT, "  throughput             %,.0f events/s accepted (%,d events in %,d requests of %d, %d connections, %.1f s)%n",
                    events.get() / seconds, events.get(), requests.get(), batch, connections, seconds);
            out.flush();
        }
        return events.get() / seconds;
    }

    private record Latency(double p50, double p99) {}

    /** Requests of {@code rateBatch} events fired on a fixed schedule, each timed from when it was due. */
    private Latency fixedRate(HttpClient http, URI uri) throws Exception {
        double requestsPerSecond = rate / rateBatch;
        long intervalNanos = (long) (1e9 / requestsPerSecond);
        int total = (int) Math.max(10, requestsPerSecond * duration.toSeconds());
        int warmup = (int) Math.min(total / 5, requestsPerSecond * 3);
        AtomicLongArray nanos = new AtomicLongArray(total);
        AtomicLong failures = new AtomicLong();
        Map<String, AtomicLong> failedWith = new ConcurrentSkipListMap<>();
        List<CompletableFuture<Void>> pending = new ArrayList<>(total);
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(Load.named("ticker-"));
        long start = System.nanoTime() + 50_000_000L;
        for (int i = 0; i < total; i++) {
            int index = i;
            long due = start + i * intervalNanos;
            CompletableFuture<Void> done = new CompletableFuture<>();
            pending.add(done);
            ticker.schedule(() -> {
                HttpRequest request = request(uri, body(rateBatch, "r" + index));
                http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
                    nanos.set(index, System.nanoTime() - due);
                    if (error != null || response.statusCode() != 202) {
                        failures.incrementAndGet();
                        failedWith.computeIfAbsent(error != null ? error.getClass().getSimpleName() : Integer.toString(response.statusCode()),
                                k -> new AtomicLong()).incrementAndGet();
                    } else {
                        accepted.addAndGet(rateBatch);
                    }
                    done.complete(null);
                });
            }, due - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
        CompletableFuture.allOf(pending.toArray(CompletableFuture[]::new)).get(duration.toSeconds() + 120, TimeUnit.SECONDS);
        ticker.shutdown();
        long[] measured = new long[total - warmup];
        for (int i = warmup; i < total; i++) {
            measured[i - warmup] = nanos.get(i);
        }
        Arrays.sort(measured);
        Latency latency = new Latency(Load.percentile(measured, 0.50), Load.percentile(measured, 0.99));
        out.printf(Locale.ROOT, "  latency at %,.0f ev/s   p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%,d requests of %d"
                        + " events after %d warm-up, %d not 202%s)%n", rate, latency.p50, Load.percentile(measured, 0.90), latency.p99,
                Load.percentile(measured, 0.999), measured[measured.length - 1] / 1e6, measured.length, rateBatch, warmup, failures.get(),
                failedWith.isEmpty() ? "" : ": " + failedWith);
        out.flush();
        return latency;
    }

    private static HttpResponse<String> send(HttpClient http, URI uri, String body) {
        try {
            return http.send(request(uri, body), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException("request failed: " + e, e);
        }
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
