package dev.asr.app.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.allowances.service.AllowanceService;
import dev.asr.allowances.service.AllowanceSettings;
import dev.asr.allowances.service.DecisionsTopic;
import dev.asr.ingest.gateway.GatewaySettings;
import dev.asr.ingest.gateway.IngestGateway;
import dev.asr.ingest.gateway.Tokens;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.JMException;
import javax.management.ObjectName;
import org.apache.kafka.clients.admin.Admin;

/**
 * {@code POST /v1/authorize} under load over loopback, each decision written to the decisions topic
 * (acks=all) before it is answered, every ALLOW holding its amount: first decisions per second from
 * many connections at once, for many agents, then latency at a fixed rate measured from when each
 * request was due. Then a check: every answered decision is on the topic, and no agent's ALLOWs
 * exceeded its limit. The broker runs in its own process; gateway, allowances and load generator
 * share this one.
 */
public final class AllowanceBenchmark {

    private static final double TARGET_DECISIONS_PER_SECOND = 10_000;
    private static final double TARGET_P99_MS = 10;
    private static final String TOKEN = "bench-token";
    private static final String PATH = "/v1/authorize";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Every agent may spend 5,000 a day, 1 at most at once: amounts of 0.01-1.00 are allowed until a few thousand were held. */
    private static final Map<String, String> POLICY = Map.of("asr.allowance.unrated.limit", "5000", "asr.allowance.unrated.max-spend", "1",
            "asr.allowance.unrated.review-above", "1");
    private static final long LIMIT_MICROS = 5_000_000_000L;

    private final Duration warmup;
    private final Duration duration;
    private final int connections;
    private final int agents;
    private final double rate;
    private final boolean shared;
    private final PrintWriter out;
    private final AtomicLong answered = new AtomicLong();
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, AtomicLong> allowedByAgent = new ConcurrentHashMap<>();
    private java.util.concurrent.ExecutorService loops;

    public AllowanceBenchmark(Duration warmup, Duration duration, int connections, int agents, double rate, boolean shared,
            PrintWriter out) {
        this.warmup = warmup;
        this.duration = duration;
        this.connections = connections;
        this.agents = agents;
        this.rate = rate;
        this.shared = shared;
        this.out = out;
    }

    public boolean run() throws Exception {
        try (ChildBroker broker = ChildBroker.start("asr-bench-allowances")) {
            String bootstrap = broker.bootstrapServers();
            Topics topics = broker.topics(TopicNames.DEFAULTS, 4);
            Map<String, String> policy = new java.util.HashMap<>(POLICY);
            if (shared) {
                // The group's only member: it decides for every partition, each burst one transaction; nothing is forwarded.
                policy.put("asr.allowance.advertised-url", "http://127.0.0.1:1");
                policy.put("asr.allowance.group", "asr-bench-deciders");
            }
            AllowanceSettings settings = AllowanceSettings.from(policy);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                DecisionsTopic.ensure(admin, settings, 4, (short) 1);
            }
            GatewaySettings gatewaySettings = GatewaySettings.from(Map.of("bootstrap.servers", bootstrap, "schema.registry.url",
                    RegistrySettings.EMBEDDED_PREFIX + broker.directory().resolve("schemas"), "asr.ingest.port", "0",
                    "asr.ingest.host", "127.0.0.1", "asr.ingest.threads", Integer.toString(connections),
                    "asr.ingest.max-requests-per-token", Integer.toString(Math.max(64, connections)), "asr.ingest.max-requests",
                    Integer.toString(Math.max(128, connections))));
            out.printf(Locale.ROOT, "ASR allowance benchmark: %d cores, max heap %d MB; broker in its own process; each decision acks=all"
                    + " before its answer%s; %,d agents, amounts 0.01-1.00, every ALLOW held %s%n", Runtime.getRuntime().availableProcessors(),
                    Runtime.getRuntime().maxMemory() >> 20, shared ? " (--shared: each burst of decisions one Kafka transaction)" : "",
                    agents, settings.holdTime());
            out.flush();
            try (SchemaRegistry registry = RegistrySettings.embedded(broker.directory().resolve("schemas")).open();
                 AllowanceService allowances = AllowanceService.start(settings, Map.of("bootstrap.servers", bootstrap), topics, registry,
                         Clock.systemUTC());
                 IngestGateway gateway = IngestGateway.start(gatewaySettings, Tokens.of(List.of(new Tokens.Grant(Tokens.hash(TOKEN),
                         Set.of("*")))), allowances)) {
                if (!allowances.awaitReady(Duration.ofSeconds(60))) {
                    throw new IllegalStateException("the allowances did not restore within 60 s: " + allowances.notReadyBecause());
                }
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (shared && allowances.decidedPartitions().size() < 4) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the deciding group gave this gateway " + allowances.decidedPartitions()
                                + " of 4 partitions within 60 s");
                    }
                    Thread.sleep(50);
                }
                URI base = URI.create(gateway.url());
                // The load's threads live until the CPU split is taken (a thread that ended is not counted).
                loops = Executors.newFixedThreadPool(connections, Load.named("loop-"));
                throughput(base, warmup, false);
                ThreadCpu before = ThreadCpu.now();
                double requestsBefore = producerTotal("request-total");
                double recordsBefore = producerTotal("record-send-total");
                double brokerBefore = broker.cpuSeconds();
                long decisionsBefore = answered.get();
                double perSecond = throughput(base, duration, true);
                ThreadCpu after = ThreadCpu.now();
                Map<String, Double> cpu = after.since(before, Load::role);
                Map<String, Double> gatewayThreads = after.since(before, AllowanceBenchmark::gatewayPart);
                double brokerCpu = broker.cpuSeconds() - brokerBefore;
                long decisions = answered.get() - decisionsBefore;
                double total = cpu.values().stream().mapToDouble(Double::doubleValue).sum() + brokerCpu;
                out.printf(Locale.ROOT, "  cpu in that run        %.1f s: gateway and allowances %.0f%% (%.1f µs/decision), load generator %.0f%%,"
                                + " GC and JIT %.0f%%, broker %.0f%%%n", total, 100 * cpu.getOrDefault("gateway", 0.0) / total,
                        cpu.getOrDefault("gateway", 0.0) * 1e6 / decisions, 100 * cpu.getOrDefault("load", 0.0) / total,
                        100 * cpu.getOrDefault("other", 0.0) / total, 100 * brokerCpu / total);
                out.printf(Locale.ROOT, "  gateway cpu/decision   HTTP I/O threads %.1f µs, worker threads %.1f µs, Kafka producer %.1f µs, decision"
                                + " writer %.1f µs, other gateway threads %.1f µs%n", micros(gatewayThreads, "io", decisions),
                        micros(gatewayThreads, "worker", decisions), micros(gatewayThreads, "producer", decisions),
                        micros(gatewayThreads, "writer", decisions), micros(gatewayThreads, "rest", decisions));
                double requests = producerTotal("request-total") - requestsBefore;
                out.printf(Locale.ROOT, "  decisions to Kafka     %,.0f produce requests/s, %.1f records per request%n", requests / duration.toSeconds(),
                        (producerTotal("record-send-total") - recordsBefore) / Math.max(1, requests));
                long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                out.flush();
                double brokerIdleBefore = broker.cpuSeconds();
                long idleStart = System.nanoTime();
                double refused = refusedBeforeDeciding(base);
                double brokerIdle = (broker.cpuSeconds() - brokerIdleBefore) / ((System.nanoTime() - idleStart) / 1e9);
                out.printf(Locale.ROOT, "  baseline               %,.0f requests/s answered 400 before any decision (same connections: HTTP, token and"
                        + " JSON alone); decisions ran at %.2f of it. The broker, idle meanwhile, used %.0f%% of a core%n", refused,
                        perSecond / refused, 100 * brokerIdle);
                out.flush();
                loops.shutdown();
                double p99 = fixedRate(base, this::body, 200, String.format(Locale.ROOT, "latency at %,.0f/s", rate));
                // The same schedule through the path that refuses before deciding: what HTTP, the load generator and this
                // process's pauses add to a request alone, measured in the same run (the decision's share is the difference).
                fixedRate(base, () -> "{}", 400, "  same, refused");
                long onTopic = Load.recordsIn(bootstrap, settings.decisionsTopic());
                long overLimit = allowedByAgent.values().stream().filter(sum -> sum.get() > LIMIT_MICROS).count();
                out.printf(Locale.ROOT, "  check                  %,d decisions answered, %,d records in %s%s; %,d agents, none allowed more than"
                                + " its limit%s%n", answered.get(), onTopic, settings.decisionsTopic(), onTopic >= answered.get() ? ""
                                : ": DECISIONS MISSING", allowances.agentCount(), overLimit == 0 ? "" : ": " + overLimit + " OVER");
                out.printf(Locale.ROOT, "  heap                   %d MB in use after the throughput run (gateway, allowances, client and load"
                        + " generator)%n", heap >> 20);
                boolean met = perSecond >= TARGET_DECISIONS_PER_SECOND && p99 <= TARGET_P99_MS;
                out.printf(Locale.ROOT, "  targets                >= %,.0f decisions/s and p99 <= %.0f ms at %,.0f decisions/s: %s%n",
                        TARGET_DECISIONS_PER_SECOND, TARGET_P99_MS, rate, met ? "met" : "NOT met");
                out.flush();
                return onTopic >= answered.get() && overLimit == 0;
            }
        }
    }

    /** Every connection asks, one request after another, for the duration; returns decisions per second. */
    private double throughput(URI gateway, Duration length, boolean report) throws Exception {
        AtomicLong allowed = new AtomicLong();
        long start = System.nanoTime();
        long decisions = asFastAsAnswered(gateway, length, this::body, 200, answer -> {
            if (record(answer)) {
                allowed.incrementAndGet();
            }
        });
        double seconds = (System.nanoTime() - start) / 1e9;
        if (report) {
            out.printf(Locale.ROOT, "  throughput             %,.0f decisions/s (%,d in %.1f s, %d connections; %,d ALLOW, each held)%n",
                    decisions / seconds, decisions, seconds, connections, allowed.get());
            out.flush();
        }
        return decisions / seconds;
    }

    /** The same load with a body the gateway refuses before deciding ({@code {}}: 400): what HTTP, the token and JSON cost alone. */
    private double refusedBeforeDeciding(URI gateway) throws Exception {
        long start = System.nanoTime();
        long refused = asFastAsAnswered(gateway, duration, () -> "{}", 400, answer -> { });
        return refused / ((System.nanoTime() - start) / 1e9);
    }

    /**
     * Every connection posts {@code body} after body for {@code length}, each answer expected with
     * {@code status} and handed to {@code onAnswer}; returns how many were answered.
     */
    private long asFastAsAnswered(URI gateway, Duration length, java.util.function.Supplier<String> body, int status,
            java.util.function.Consumer<String> onAnswer) throws Exception {
        AtomicLong answers = new AtomicLong();
        long end = System.nanoTime() + length.toNanos();
        List<CompletableFuture<Void>> running = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            running.add(CompletableFuture.runAsync(() -> {
                try (Load.Connection connection = new Load.Connection(gateway, PATH, TOKEN)) {
                    while (System.nanoTime() < end) {
                        String sent = body.get();
                        Load.Connection.Answer answer = connection.post(sent);
                        if (answer.status() != status) {
                            throw new IllegalStateException("the gateway answered " + answer.status() + " to " + sent + ": " + answer.body());
                        }
                        onAnswer.accept(answer.body());
                        answers.incrementAndGet();
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, loops));
        }
        CompletableFuture.allOf(running.toArray(CompletableFuture[]::new)).get();
        return answers.get();
    }

    /**
     * Requests due on a fixed schedule, taken in turn by {@link #connections} connections, each timed
     * from when it was due (a request waiting for a free connection counts that wait), each {@code body}
     * expected to be answered {@code status} (200: a decision, counted); prints the percentiles under
     * {@code label} and returns p99 in ms.
     */
    private double fixedRate(URI gateway, java.util.function.Supplier<String> body, int status, String label) throws Exception {
        long intervalNanos = (long) (1e9 / rate);
        int total = (int) Math.max(10, rate * duration.toSeconds());
        int warmup = (int) Math.min(total / 5, rate * 3);
        long[] nanos = new long[total];
        AtomicLong next = new AtomicLong();
        Map<String, AtomicLong> failedWith = new ConcurrentSkipListMap<>();
        long start = System.nanoTime() + 50_000_000L;
        java.util.concurrent.ExecutorService paced = Executors.newFixedThreadPool(connections, Load.named("paced-"));
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            loops.add(CompletableFuture.runAsync(() -> {
                try (Load.Connection connection = new Load.Connection(gateway, PATH, TOKEN)) {
                    for (int i = (int) next.getAndIncrement(); i < total; i = (int) next.getAndIncrement()) {
                        long due = start + i * intervalNanos;
                        long wait = due - System.nanoTime();
                        if (wait > 0) {
                            java.util.concurrent.locks.LockSupport.parkNanos(wait);
                        }
                        Load.Connection.Answer answer = connection.post(body.get());
                        nanos[i] = System.nanoTime() - due;
                        if (answer.status() != status) {
                            failedWith.computeIfAbsent(Integer.toString(answer.status()), k -> new AtomicLong()).incrementAndGet();
                        } else if (status == 200) {
                            record(answer.body());
                        }
                    }
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }, paced));
        }
        CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get(duration.toSeconds() + 120, TimeUnit.SECONDS);
        paced.shutdown();
        long[] measured = Arrays.copyOfRange(nanos, warmup, total);
        Arrays.sort(measured);
        double p99 = Load.percentile(measured, 0.99);
        out.printf(Locale.ROOT, "  %-22s p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms (%,d requests after %d"
                        + " warm-up, %d connections%s)%n", label, Load.percentile(measured, 0.50), Load.percentile(measured, 0.90), p99,
                Load.percentile(measured, 0.999), measured[measured.length - 1] / 1e6, measured.length, warmup, connections,
                failedWith.isEmpty() ? "" : ", failed: " + failedWith);
        out.flush();
        return p99;
    }

    /** Counts an answered decision, and an ALLOW's amount against its agent; true for an ALLOW. */
    private boolean record(String body) {
        answered.incrementAndGet();
        try {
            JsonNode decision = JSON.readTree(body);
            if (!decision.path("decision").asText().equals("ALLOW")) {
                return false;
            }
            allowedByAgent.computeIfAbsent(decision.path("agent_id").asText(), a -> new AtomicLong())
                    .addAndGet(decision.path("amount_micros").asLong());
            return true;
        } catch (java.io.IOException e) {
            throw new IllegalStateException("the gateway's answer is not JSON: " + body, e);
        }
    }

    private String body() {
        long n = sequence.incrementAndGet();
        return "{\"fleet\":\"bench\",\"agent_id\":\"agent-" + (n % agents) + "\",\"amount_micros\":" + (10_000 + (n * 7919) % 990_001)
                + ",\"kind\":\"TRANSACTION\"}";
    }

    /** Which part of the gateway a thread is: Undertow's I/O or worker threads, the allowances' Kafka producer or decision writer. */
    private static String gatewayPart(String thread) {
        if (Load.role(thread).equals("load")) {
            return "load";
        }
        if (thread.startsWith("XNIO-") && thread.contains(" I/O-")) {
            return "io";
        }
        if (thread.startsWith("XNIO-") && thread.contains(" task-")) {
            return "worker";
        }
        if (thread.startsWith("kafka-producer-network-thread | asr-allowances")) {
            return "producer";
        }
        return thread.equals("asr-allowances-writer") || thread.startsWith("asr-allowances-decider-") ? "writer" : "rest";
    }

    private static double micros(Map<String, Double> seconds, String part, long decisions) {
        return seconds.getOrDefault(part, 0.0) * 1e6 / Math.max(1, decisions);
    }

    /**
     * A cumulative metric of the allowances' Kafka producers (client id {@code asr-allowances}; with
     * {@code --shared}, also the {@code asr-allowances-decider-N} of each partition), from their JMX beans.
     */
    private static double producerTotal(String attribute) {
        try {
            var server = ManagementFactory.getPlatformMBeanServer();
            double total = 0;
            for (ObjectName name : server.queryNames(new ObjectName("kafka.producer:type=producer-metrics,client-id=asr-allowances*"), null)) {
                total += ((Number) server.getAttribute(name, attribute)).doubleValue();
            }
            return total;
        } catch (JMException e) {
            return Double.NaN;
        }
    }
}
