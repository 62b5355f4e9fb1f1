package dev.asr.app.bench;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.ingest.simulator.FleetSettings;
import dev.asr.ingest.simulator.EventSink;
import dev.asr.ingest.simulator.FleetSimulator;
import dev.asr.ingest.simulator.SdkEventSink;
import dev.asr.ingest.sdk.AsrClientSettings;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.streams.StreamsService;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.processor.PipelineCounters;
import dev.asr.streams.state.StateSizes;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Pre-loads simulated events into a broker running in its own process, then measures how fast the
 * full ASR topology catches up on them, and how fast a pass-through Streams app (read, decode,
 * write) does on the same data with the same settings (exactly-once v2, same threads). Memory is
 * this process's: heap and resident set, sampled while each app runs; the full topology runs
 * first, in a fresh JVM. Then what the topology's state costs: bytes its changelogs and repartition
 * topic took per input event (from the broker's log directories), and the stored size of an open
 * task and of an agent. Last, the full topology on a fleet with skewed clocks and 5% resends.
 */
public final class StreamsBenchmark {

    private static final double TARGET_RATIO = 0.6;

    private final int steps;
    /** What the pre-load actually wrote: a simulator step now and then drops a task without an event. */
    private long events;
    private final int agents;
    private final int partitions;
    private final int threads;
    private final int rounds;
    private final Map<String, String> settings;
    private final PrintWriter out;

    /**
     * @param rounds each app runs this many times on the same events, the last measured: with 1 the
     *     full topology runs first in a cold JVM against a broker whose transaction paths are cold,
     *     and the pass-through after it, warm (the profile showed that as a bias of 1.5-2x against
     *     the full topology); 2 (the default) warms both first
     */
    public StreamsBenchmark(int events, int agents, int partitions, int threads, int rounds, Map<String, String> settings,
            PrintWriter out) {
        if (rounds < 1) {
            throw new IllegalArgumentException("--rounds must be at least 1, got " + rounds);
        }
        this.rounds = rounds;
        this.settings = Map.copyOf(settings);
        this.steps = events;
        this.agents = agents;
        this.partitions = partitions;
        this.threads = threads;
        this.out = out;
    }

    public boolean run() throws Exception {
        try (ChildBroker broker = ChildBroker.start("asr-bench-streams")) {
            String bootstrap = broker.bootstrapServers();
            Path directory = broker.directory();
            Topics topics = broker.topics(new TopicNames("bench.spend", "bench.outcomes", "bench.metrics", "bench.transitions", "bench.dlq"),
                    partitions);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                admin.createTopics(List.of(new NewTopic("bench.passthrough.spend", partitions, (short) 1),
                        new NewTopic("bench.passthrough.outcomes", partitions, (short) 1))).all().get();
            }
            out.printf(Locale.ROOT, "ASR streams benchmark: %,d events, %d agents, %d partitions, %d stream thread(s) per app,"
                    + " exactly_once_v2, %d round(s); broker in its own process; %d cores, max heap %d MB%n", steps, agents, partitions,
                    threads, rounds, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
            out.flush();
            events = preload(bootstrap, topics, directory.resolve("schemas"), false);

            double ratio = 0;
            for (int round = 1; round <= rounds; round++) {
                boolean measured = round == rounds;
                String full = "bench-full-" + round;
                String passThroughId = "bench-passthrough-" + round;
                out.printf(Locale.ROOT, "  round %d of %d%s%n", round, rounds, measured ? (rounds > 1 ? " (measured)" : "")
                        : " (warm-up: both apps run once so the JIT and the broker's transaction paths are warm for both)");
                Phase fullPhase = measure("full topology", () -> fullTopology(bootstrap, topics, directory, full), broker);
                if (measured) {
                    stateBytes(broker, full);
                }
                Phase passThrough = measure("pass-through", () -> passThrough(bootstrap, topics, directory, passThroughId), broker);
                ratio = fullPhase.rate() / passThrough.rate();
                out.printf(Locale.ROOT, "  full / pass-through    %.2f%s%n", ratio, measured ? String.format(Locale.ROOT,
                        "   (target: >= %.2f: %s)", TARGET_RATIO, ratio >= TARGET_RATIO ? "met" : "NOT met") : "");
                out.flush();
            }

            Topics skewed = broker.topics(new TopicNames("bench.skewed.spend", "bench.skewed.outcomes", "bench.skewed.metrics",
                    "bench.skewed.transitions", "bench.skewed.dlq"), partitions);
            events = preload(bootstrap, skewed, directory.resolve("schemas"), true);
            measure("full, skewed + resends", () -> fullTopology(bootstrap, skewed, directory, "bench-skewed"), broker);
            return true;
        }
    }

    /**
     * What the full topology's state cost on the broker, per input event: every changelog and the
     * repartition topic, as their partitions' sizes on disk (nothing is compacted or deleted that
     * soon); and what one open task and one agent take in the stores.
     */
    private void stateBytes(ChildBroker broker, String applicationId) throws Exception {
        Map<String, Long> bytes = broker.topicBytes(topic -> topic.startsWith(applicationId + "-"));
        long changelogs = bytes.entrySet().stream().filter(e -> e.getKey().endsWith("-changelog")).mapToLong(Map.Entry::getValue).sum();
        long repartition = bytes.entrySet().stream().filter(e -> e.getKey().endsWith("-repartition")).mapToLong(Map.Entry::getValue).sum();
        StringBuilder perStore = new StringBuilder();
        bytes.entrySet().stream().filter(e -> e.getKey().endsWith("-changelog")).sorted(Map.Entry.comparingByKey())
                .forEach(e -> perStore.append(String.format(Locale.ROOT, "%s%s %.1f", perStore.length() == 0 ? "" : ", ",
                        e.getKey().substring(applicationId.length() + 1, e.getKey().length() - "-changelog".length()),
                        (double) e.getValue() / events)));
        out.printf(Locale.ROOT, "  state written          %.1f changelog bytes per input event (%s), %.1f repartition bytes%n",
                (double) changelogs / events, perStore, (double) repartition / events);
        StateSizes sizes = StateSizes.typical(StreamsSettings.from(settings));
        out.printf(Locale.ROOT, "  state held             %d bytes per open task, %d per agent (%d views, %d open buckets), %d per event id"
                + " remembered, %d per settled task remembered%n", sizes.openTask(), sizes.agent(), sizes.views(), sizes.openBuckets(),
                sizes.eventId(), sizes.settledTask());
        out.flush();
    }

    private long preload(String bootstrap, Topics topics, Path schemas, boolean skewedWithResends) {
        return preload(bootstrap, topics, schemas, agents, steps, skewedWithResends, out);
    }

    /**
     * {@code steps} steps of a simulated fleet of {@code agents} over 40 minutes of event time ending
     * 20 minutes ago, written to {@code topics}; with {@code skewedWithResends}, some agents' clocks
     * skewed and 5% of the events sent twice. Returns the events written.
     */
    static long preload(String bootstrap, Topics topics, Path schemas, int agents, int steps, boolean skewedWithResends, PrintWriter out) {
        Instant start = Instant.now().minus(Duration.ofHours(1));
        long spanMillis = Duration.ofMinutes(40).toMillis();
        long t0 = System.nanoTime();
        AsrClientSettings client = AsrClientSettings.of(bootstrap, RegistrySettings.embedded(schemas))
                .withTopics(topics.names())
                .withKafka(Map.of("batch.size", 256 * 1024, "linger.ms", 20));
        try (EventSink sdk = new SdkEventSink(client);
             SkewedResendingSink skewing = new SkewedResendingSink(sdk)) {
            EventSink sink = skewedWithResends ? skewing : sdk;
            FleetSimulator simulator = new FleetSimulator(new FleetSettings(agents, 1000, 7, "bench"), sink, Clock.systemUTC());
            for (int i = 0; i < steps; i++) {
                simulator.steps(1, start.plusMillis(i * spanMillis / steps));
            }
            sink.flush();
            if (sink.failed() > 0) {
                throw new IllegalStateException(sink.failed() + " events failed to pre-load: " + sink.lastError());
            }
            long written = sink.spendDelivered() + sink.outcomesDelivered();
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.printf(Locale.ROOT, "  pre-load%s %,d events over 40 min of event time in %.1f s (%,.0f ev/s)%s%n",
                    skewedWithResends ? ", skewed " : "               ", written, seconds, written / seconds, skewedWithResends
                            ? String.format(Locale.ROOT, "; 1 agent in 5 stamps 4 min ahead, 1 in 5 2 min behind; %,d resent", skewing.resent())
                            : "");
            out.flush();
            return written;
        }
    }

    /** Starts an app, returns what counts the events it has consumed; close() stops it. */
    private interface App extends AutoCloseable {
        long consumed();

        /** What the app counted on the way, for the figures line. */
        default String summary() {
            return "";
        }

        @Override
        void close();
    }

    private interface AppStarter {
        App start() throws Exception;
    }

    private record Phase(double seconds, double rate) {}

    private Phase measure(String name, AppStarter starter, ChildBroker broker) throws Exception {
        System.gc();
        MemorySampler memory = new MemorySampler();
        double appCpu = ProcessCpu.self();
        double brokerCpu = broker.cpuSeconds();
        long start = System.nanoTime();
        long first = 0;
        String summary;
        try (App app = starter.start()) {
            long deadline = start + TimeUnit.MINUTES.toNanos(15);
            while (app.consumed() < events) {
                if (first == 0 && app.consumed() > 0) {
                    first = System.nanoTime();
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(name + " consumed only " + app.consumed() + " of " + events + " in 15 minutes");
                }
                Thread.sleep(5);
            }
            summary = app.summary();
        } finally {
            memory.stop();
        }
        long end = System.nanoTime();
        appCpu = ProcessCpu.self() - appCpu;
        brokerCpu = broker.cpuSeconds() - brokerCpu;
        double seconds = (end - first) / 1e9;
        double rate = events / seconds;
        out.printf(Locale.ROOT, "  %-22s %,d events in %.1f s = %,.0f ev/s (%.1f s with start-up); peak heap %d MB, peak RSS %d MB%s%n",
                name, events, seconds, rate, (end - start) / 1e9, memory.peakHeap >> 20, memory.peakRss >> 20, summary);
        out.printf(Locale.ROOT, "  %-22s CPU per event: %.1f us in this process, %.1f us in the broker (start-up included)%n", "",
                appCpu * 1e6 / events, brokerCpu * 1e6 / events);
        out.flush();
        return new Phase(seconds, rate);
    }

    private App fullTopology(String bootstrap, Topics topics, Path directory, String applicationId) {
        Map<String, String> asr = new HashMap<>(settings);
        asr.put("asr.streams.metrics-port", "-1");
        StreamsService service = StreamsService.start(StreamsSettings.from(asr), appConfig(bootstrap, applicationId, directory), topics);
        return new App() {
            @Override
            public long consumed() {
                return service.counters().processed() + service.counters().deadLetters();
            }

            @Override
            public String summary() {
                PipelineCounters c = service.counters();
                return String.format(Locale.ROOT, "; %,d duplicates, %,d late, %,d dead letters, %,d timed out", c.duplicates(), c.late(),
                        c.deadLetters(), c.timedOut());
            }

            @Override
            public void close() {
                service.close();
            }
        };
    }

    private App passThrough(String bootstrap, Topics topics, Path directory, String applicationId) {
        LongAdder consumed = new LongAdder();
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(topics.spend().name(), Consumed.with(Serdes.String(), topics.spend().valueSerde()))
                .peek((key, value) -> consumed.increment())
                .to("bench.passthrough.spend", Produced.<String, SpendEvent>with(Serdes.String(), topics.spend().valueSerde()));
        builder.stream(topics.outcomes().name(), Consumed.with(Serdes.String(), topics.outcomes().valueSerde()))
                .peek((key, value) -> consumed.increment())
                .to("bench.passthrough.outcomes", Produced.<String, OutcomeEvent>with(Serdes.String(), topics.outcomes().valueSerde()));
        Properties properties = new Properties();
        properties.putAll(appConfig(bootstrap, applicationId, directory));
        KafkaStreams streams = new KafkaStreams(builder.build(), properties);
        streams.start();
        LongSupplier count = consumed::sum;
        return new App() {
            @Override
            public long consumed() {
                return count.getAsLong();
            }

            @Override
            public void close() {
                streams.close(Duration.ofSeconds(30));
            }
        };
    }

    /** The same Kafka Streams settings for both apps: ASR's defaults, the --set ones, then the app's identity. */
    private Map<String, Object> appConfig(String bootstrap, String applicationId, Path directory) {
        Map<String, String> config = new HashMap<>(settings);
        config.put("bootstrap.servers", bootstrap);
        config.put("application.id", applicationId);
        config.put("num.stream.threads", Integer.toString(threads));
        config.put("state.dir", directory.resolve("state-" + applicationId).toString());
        return StreamsSettings.streamsConfig(config);
    }

    /** Samples heap in use and resident set size every 20 ms and keeps the peaks. */
    private static final class MemorySampler {
        volatile long peakHeap;
        volatile long peakRss;
        private final Thread thread;
        private volatile boolean running = true;

        MemorySampler() {
            thread = new Thread(() -> {
                while (running) {
                    peakHeap = Math.max(peakHeap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                    peakRss = Math.max(peakRss, residentSetBytes());
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "bench-memory");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join();
        }

        private static long residentSetBytes() {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith("VmRSS:")) {
                        return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                    }
                }
            } catch (IOException | NumberFormatException e) {
                return 0;
            }
            return 0;
        }
    }
}
