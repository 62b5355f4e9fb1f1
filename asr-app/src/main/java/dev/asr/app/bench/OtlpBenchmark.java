package dev.asr.app.bench;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.asr.ingest.gateway.GatewaySettings;
import dev.asr.ingest.gateway.IngestGateway;
import dev.asr.ingest.gateway.Tokens;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code POST /v1/traces} under load over loopback: OTLP/HTTP protobuf requests of agent runs (an
 * {@code invoke_agent} span with two model calls and a tool call each, 512 spans a request by
 * default), answered 200 only after Kafka acknowledged the events. First spans accepted per second
 * from several connections, then latency at a fixed rate, timed from when each request was due.
 * The broker runs in its own process; gateway and load generator share this one (their CPU is
 * reported apart).
 */
public final class OtlpBenchmark {

    private static final double TARGET_SPANS_PER_SECOND = 50_000;
    private static final double TARGET_P99_MS = 50;
    private static final String TOKEN = "bench-otlp-token";
    /** Distinct request bodies cycled through: built before the clock starts, so building them is not measured. */
    private static final int BODIES = 64;
    private static final int SPANS_PER_RUN = 4;

    private final Duration duration;
    private final int batch;
    private final int connections;
    private final double rate;
    private final PrintWriter out;
    private final AtomicLong acceptedSpans = new AtomicLong();
    private final List<byte[]> bodies = new ArrayList<>();

    public OtlpBenchmark(Duration duration, int batch, int connections, double rate, PrintWriter out) {
        if (batch < SPANS_PER_RUN || batch % SPANS_PER_RUN != 0) {
            throw new IllegalArgumentException("--batch " + batch + " must be a positive multiple of " + SPANS_PER_RUN + " (spans of one agent run)");
        }
        this.duration = duration;
        this.batch = batch;
        this.connections = connections;
        this.rate = rate;
        this.out = out;
    }

    public boolean run() throws Exception {
        try (ChildBroker broker = ChildBroker.start("asr-bench-otlp")) {
            String bootstrap = broker.bootstrapServers();
            Path directory = broker.directory();
            Topics topics = broker.topics(TopicNames.DEFAULTS, 4);
            GatewaySettings settings = GatewaySettings.from(Map.of("bootstrap.servers", bootstrap, "schema.registry.url",
                    RegistrySettings.EMBEDDED_PREFIX + directory.resolve("schemas"), "asr.ingest.port", "0"));
            out.printf(Locale.ROOT, "ASR OTLP benchmark: %d cores, max heap %d MB; broker in its own process; acks=all, idempotent;"
                            + " requests of %d spans (%d agent runs: invoke_agent, 2 chat, 1 execute_tool), protobuf%n",
                    Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20, batch, batch / SPANS_PER_RUN);
            out.flush();
            SplittableRandom random = new SplittableRandom(42);
            for (int i = 0; i < BODIES; i++) {
                bodies.add(body(random, i));
            }
            try (IngestGateway gateway = IngestGateway.start(settings, Tokens.of(List.of(new Tokens.Grant(Tokens.hash(TOKEN),
                    Set.of("bench")))))) {
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .executor(Executors.newFixedThreadPool(Math.max(4, connections), Load.named("http"))).build();
                URI traces = URI.create(gateway.url() + "/v1/traces");
                throughput(http, traces, Duration.ofSeconds(5), false);
                ThreadCpu before = ThreadCpu.now();
                double brokerBefore = broker.cpuSeconds();
                long spansBefore = acceptedSpans.get();
                resetPeakHeap();
                double spansPerSecond = throughput(http, traces, duration, true);
                Map<String, Double> cpu = ThreadCpu.now().since(before, Load::role);
                double brokerCpu = broker.cpuSeconds() - brokerBefore;
                long spans = acceptedSpans.get() - spansBefore;
                double total = cpu.values().stream().mapToDouble(Double::doubleValue).sum() + brokerCpu;
                out.printf(Locale.ROOT, "  cpu in that run        %.1f s: gateway %.0f%% (%.1f µs/span), load generator %.0f%%, GC and JIT %.0f%%,"
                                + " broker %.0f%% (of %.1f s of wall clock on %d cores)%n", total,
                        100 * cpu.getOrDefault("gateway", 0.0) / total, cpu.getOrDefault("gateway", 0.0) * 1e6 / spans,
                        100 * cpu.getOrDefault("load", 0.0) / total, 100 * cpu.getOrDefault("other", 0.0) / total, 100 * brokerCpu / total,
                        duration.toMillis() / 1000.0, Runtime.getRuntime().availableProcessors());
                out.printf(Locale.ROOT, "  heap                   peak %d MB in use during that run (gateway, client and load generator, %d MB of"
                        + " request bodies)%n", peakHeap() >> 20, bodies.stream().mapToLong(b -> b.length).sum() >> 20);
                out.flush();
                Load.Latency latency = fixedRate(http, traces);
                long expectedEvents = acceptedSpans.get();
                long inTopics = Load.recordsIn(bootstrap, topics.spend().name()) + Load.recordsIn(bootstrap, topics.outcomes().name());
                out.printf(Locale.ROOT, "  check                  %,d spans answered 200 with none refused; %,d records in %s and %s%s%n",
                        acceptedSpans.get(), inTopics, topics.spend().name(), topics.outcomes().name(),
                        inTopics >= expectedEvents ? "" : ": RECORDS MISSING");
                if (inTopics < expectedEvents) {
                    return false;
                }
                boolean met = spansPerSecond >= TARGET_SPANS_PER_SECOND && latency.percentile(0.99) <= TARGET_P99_MS;
                out.printf(Locale.ROOT, "  targets                >= %,.0f spans/s and p99 <= %.0f ms at %,.0f spans/s: %s%n",
                        TARGET_SPANS_PER_SECOND, TARGET_P99_MS, rate, met ? "met" : "NOT met");
                out.flush();
            }
            return true;
        }
    }

    /** Every connection posts request after request for the length; returns spans accepted per second. */
    private double throughput(HttpClient http, URI uri, Duration length, boolean report) throws Exception {
        Load.Run run = Load.closedLoop(http, connections, length,
                (connection, sequence) -> request(uri, bodies.get((int) ((connection + sequence) % bodies.size()))), this::check);
        long spans = run.requests() * batch;
        acceptedSpans.addAndGet(spans);
        if (report) {
            out.printf(Locale.ROOT, "  throughput             %,.0f spans/s accepted (%,d spans in %,d requests of %d, %d connections, %.1f s)%n",
                    spans / run.seconds(), spans, run.requests(), batch, connections, run.seconds());
            out.flush();
        }
        return spans / run.seconds();
    }

    /** A 200 with no span refused, or the run stops naming what came back. */
    private void check(HttpResponse<byte[]> response) {
        if (response.statusCode() != 200) {
            throw new IllegalStateException("the gateway answered " + response.statusCode() + ": " + new String(response.body()));
        }
        try {
            ExportTraceServiceResponse answer = ExportTraceServiceResponse.parseFrom(response.body());
            if (answer.getPartialSuccess().getRejectedSpans() != 0) {
                throw new IllegalStateException("the gateway refused spans: " + answer.getPartialSuccess().getErrorMessage());
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("not an ExportTraceServiceResponse: " + e.getMessage(), e);
        }
    }

    /** Requests of {@code batch} spans fired on a fixed schedule, each timed from when it was due. */
    private Load.Latency fixedRate(HttpClient http, URI uri) throws Exception {
        Load.Latency latency = Load.fixedRate(http, rate / batch, duration, index -> request(uri, bodies.get(index % bodies.size())),
                response -> response.statusCode() == 200);
        acceptedSpans.addAndGet(latency.answered() * batch);
        out.printf(Locale.ROOT, "  latency at %,.0f spans/s p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms (%,d requests of %d spans after"
                        + " %d warm-up, %d not 200)%n", rate, latency.percentile(0.50), latency.percentile(0.90), latency.percentile(0.99),
                latency.maxMillis(), latency.sortedNanos().length, batch, latency.warmup(), latency.failures());
        out.flush();
        return latency;
    }

    private static HttpRequest request(URI uri, byte[] body) {
        return HttpRequest.newBuilder(uri).header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/x-protobuf")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    /**
     * One request: agent runs of 200 agents, each an invoke_agent span with two chat spans (priced
     * from the starter table, as most runtimes report no cost) and a tool call, attributes as OpenLIT
     * and the GenAI conventions set them.
     */
    private byte[] body(SplittableRandom random, int index) {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder().setScope(InstrumentationScope.newBuilder()
                .setName("openlit").setVersion("1.0"));
        long endNanos = Instant.now().toEpochMilli() * 1_000_000L;
        for (int run = 0; run < batch / SPANS_PER_RUN; run++) {
            ByteString trace = id(random, 16);
            ByteString agentSpan = id(random, 8);
            String agent = "agent-" + ((index * 131 + run) % 200);
            scope.addSpans(span(trace, agentSpan, ByteString.EMPTY, "invoke_agent " + agent, endNanos,
                    kv("gen_ai.operation.name", "invoke_agent"), kv("gen_ai.agent.id", agent), kv("gen_ai.agent.name", agent),
                    kv("gen_ai.provider.name", "openai")));
            for (int chat = 0; chat < 2; chat++) {
                scope.addSpans(span(trace, id(random, 8), agentSpan, "chat gpt-4o-mini", endNanos - 1_000_000_000L,
                        kv("gen_ai.operation.name", "chat"), kv("gen_ai.provider.name", "openai"), kv("gen_ai.request.model", "gpt-4o-mini"),
                        kv("gen_ai.response.model", "gpt-4o-mini"), kv("gen_ai.usage.input_tokens", 1_800 + random.nextInt(400)),
                        kv("gen_ai.usage.output_tokens", 200 + random.nextInt(100)), kv("gen_ai.response.finish_reasons", "stop"),
                        kv("server.address", "api.openai.com")));
            }
            scope.addSpans(span(trace, id(random, 8), agentSpan, "execute_tool web_search", endNanos - 500_000_000L,
                    kv("gen_ai.operation.name", "execute_tool"), kv("gen_ai.tool.name", "web_search"), kv("gen_ai.tool.call.id", "call-" + run)));
        }
        KeyValue service = kv("service.name", "agents");
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(service).addAttributes(kv("telemetry.sdk.language", "python")))
                .addScopeSpans(scope)).build().toByteArray();
    }

    private static Span span(ByteString trace, ByteString id, ByteString parent, String name, long endNanos, KeyValue... attributes) {
        return Span.newBuilder().setTraceId(trace).setSpanId(id).setParentSpanId(parent).setName(name).setKind(Span.SpanKind.SPAN_KIND_CLIENT)
                .setStartTimeUnixNano(endNanos - 800_000_000L).setEndTimeUnixNano(endNanos).addAllAttributes(List.of(attributes)).build();
    }

    private static ByteString id(SplittableRandom random, int bytes) {
        byte[] id = new byte[bytes];
        for (int i = 0; i < bytes; i++) {
            id[i] = (byte) random.nextInt(256);
        }
        return ByteString.copyFrom(id);
    }

    private static KeyValue kv(String key, Object value) {
        AnyValue.Builder v = AnyValue.newBuilder();
        if (value instanceof Integer i) {
            v.setIntValue(i);
        } else {
            v.setStringValue((String) value);
        }
        return KeyValue.newBuilder().setKey(key).setValue(v).build();
    }

    private static void resetPeakHeap() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                pool.resetPeakUsage();
            }
        }
    }

    /** The sum of the heap pools' peaks since the reset: an upper bound of the heap in use at once. */
    private static long peakHeap() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }
}
