package dev.asr.app.bench;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.exporter.ExporterService;
import dev.asr.exporter.ExporterSettings;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Scrape latency and heap of the exporter with many agents: every agent's rows for every window
 * pre-loaded into a broker in its own process, the exporter (in this process) reads them, then
 * /metrics is scraped over HTTP again and again. The first scrape renders the agent and fleet
 * series (timed on its own); the others are served as rendered, as scrapes are between two
 * changes of the data (rows come once a minute).
 */
public final class ExporterBenchmark {

    private static final String[] WINDOWS = {"1m", "5m", "1h", "24h"};
    /** p99 targets: 50 ms up to 10,000 agents, 150 ms up to 50,000. */
    private static final double TARGET_P99_MS = 50;
    private static final double TARGET_P99_MS_LARGE = 150;
    private static final long TARGET_HEAP = 256L << 20;

    private final int agents;
    private final int fleets;
    private final int scrapes;
    private final PrintWriter out;

    public ExporterBenchmark(int agents, int fleets, int scrapes, PrintWriter out) {
        this.agents = agents;
        this.fleets = fleets;
        this.scrapes = scrapes;
        this.out = out;
    }

    public boolean run() throws Exception {
        try (ChildBroker broker = ChildBroker.start("asr-bench-exporter")) {
            String bootstrap = broker.bootstrapServers();
            Topics topics = broker.topics(TopicNames.DEFAULTS, 4);
            long rows = preload(bootstrap, topics, fleets);
            out.printf(Locale.ROOT, "ASR exporter benchmark: %,d agents in %d fleets, %,d metrics rows; %d cores, max heap %d MB%n",
                    agents, fleets, rows, Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20);
            out.flush();
            ExporterSettings settings = ExporterSettings.from(Map.of("asr.exporter.port", "0", "asr.exporter.max-agents",
                    Integer.toString(agents)));
            long start = System.nanoTime();
            try (ExporterService exporter = ExporterService.start(settings, Map.of("bootstrap.servers", bootstrap), topics)) {
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(5);
                while (!exporter.ready()) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the exporter did not catch up within 5 minutes");
                    }
                    Thread.sleep(20);
                }
                out.printf(Locale.ROOT, "  catch-up               %.1f s to read every row%n", (System.nanoTime() - start) / 1e9);
                HttpClient http = HttpClient.newHttpClient();
                // As Prometheus asks: the text format, gzipped.
                HttpRequest request = HttpRequest.newBuilder(URI.create(exporter.url())).header("Accept-Encoding", "gzip").build();
                long renderStart = System.nanoTime();
                int bytes = http.send(request, HttpResponse.BodyHandlers.ofByteArray()).body().length;
                out.printf(Locale.ROOT, "  first scrape           %.1f ms (renders the agent and fleet series)%n",
                        (System.nanoTime() - renderStart) / 1e6);
                for (int i = 0; i < 10; i++) {
                    bytes = http.send(request, HttpResponse.BodyHandlers.ofByteArray()).body().length;
                }
                long[] nanos = new long[scrapes];
                long peakHeap = 0;
                for (int i = 0; i < scrapes; i++) {
                    long t0 = System.nanoTime();
                    HttpResponse<byte[]> response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
                    nanos[i] = System.nanoTime() - t0;
                    if (response.statusCode() != 200) {
                        throw new IllegalStateException("scrape answered " + response.statusCode());
                    }
                    peakHeap = Math.max(peakHeap, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
                }
                Arrays.sort(nanos);
                System.gc();
                Thread.sleep(200);
                long liveHeap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
                double p50 = nanos[scrapes / 2] / 1e6;
                double p99 = nanos[(int) Math.ceil(scrapes * 0.99) - 1] / 1e6;
                out.printf(Locale.ROOT, "  scrape (%d, gzip)       p50 %.1f ms, p99 %.1f ms, max %.1f ms; %,d bytes gzipped, %,d lines; %d render(s)%n",
                        scrapes, p50, p99, nanos[scrapes - 1] / 1e6, bytes,
                        countLines(http, request), exporter.renders());
                out.printf(Locale.ROOT, "  heap                   %d MB live after GC, %d MB peak while scraping (whole process: Kafka"
                        + " client included)%n", liveHeap >> 20, peakHeap >> 20);
                double target = agents <= 10_000 ? TARGET_P99_MS : TARGET_P99_MS_LARGE;
                boolean met = p99 <= target && peakHeap <= TARGET_HEAP;
                out.printf(Locale.ROOT, "  targets                p99 <= %.0f ms and peak heap <= %d MB: %s%n", target, TARGET_HEAP >> 20,
                        met ? "met" : "NOT met");
                out.flush();
            }
            return true;
        }
    }

    private long preload(String bootstrap, Topics topics, int fleets) throws Exception {
        Instant end = Instant.now().minusSeconds(30);
        long rows = 0;
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap, "linger.ms", 20,
                "batch.size", 262_144), new StringSerializer(), new ByteArraySerializer())) {
            for (int a = 0; a < agents; a++) {
                String agent = String.format("agent-%05d", a);
                String fleet = "fleet-" + (a % fleets);
                Band band = Band.values()[1 + a % 3];
                for (String window : WINDOWS) {
                    AgentWindowMetrics row = row(agent, fleet, window, end, band, 1_000_000L + a, 300_000L * (1 + a % 3));
                    producer.send(new ProducerRecord<>(topics.agentMetrics().name(), agent,
                            topics.agentMetrics().valueSerde().serializer().serialize(topics.agentMetrics().name(), row)));
                    rows++;
                }
            }
            for (int f = 0; f < fleets; f++) {
                for (String window : WINDOWS) {
                    AgentWindowMetrics row = row(null, "fleet-" + f, window, end, Band.ASSISTED, 1_000_000_000L, 400_000_000L);
                    producer.send(new ProducerRecord<>(topics.agentMetrics().name(), "fleet-" + f,
                            topics.agentMetrics().valueSerde().serializer().serialize(topics.agentMetrics().name(), row)));
                    rows++;
                }
            }
            producer.flush();
        }
        return rows;
    }

    private static AgentWindowMetrics row(String agent, String fleet, String window, Instant end, Band band, long spend, long autonomous) {
        return AgentWindowMetrics.newBuilder().setAgentId(agent).setFleet(fleet).setWindow(window)
                .setWindowStart(end.minus(Duration.ofMinutes(1))).setWindowEnd(end).setBand(band).setAgents(1)
                .setSpendMicros(spend).setAutonomousSpendMicros(autonomous).setValueMicros(2 * autonomous).setSettledTasks(12)
                .setSucceededTasks(10).setActions(40).setInputTokens(40_000).setOutputTokens(8_000)
                .setAsr((double) autonomous / spend).setWinRate(10 / 12.0).setAutonomousRoi(2.0 * autonomous / spend)
                .setEvPerToken(2.0 * autonomous / 1e6 / 48_000).setCostPerAction(spend / 1e6 / 40).setIdleShare(0.05).build();
    }

    /** Lines of the body, asked for gzipped as the scrapes were (a plain rendering would be one more format to keep). */
    private static long countLines(HttpClient http, HttpRequest request) throws Exception {
        byte[] gzipped = http.send(request, HttpResponse.BodyHandlers.ofByteArray()).body();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(new GZIPInputStream(new ByteArrayInputStream(gzipped)),
                StandardCharsets.UTF_8))) {
            return lines.lines().count();
        }
    }
}
