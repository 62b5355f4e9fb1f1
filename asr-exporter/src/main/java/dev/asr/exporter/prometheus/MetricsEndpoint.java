package dev.asr.exporter.prometheus;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.asr.schemas.ops.Health;
import dev.asr.schemas.ops.HttpServerDefaults;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves {@code /metrics} with client_java's exposition formats (Prometheus text, OpenMetrics,
 * protobuf, as the scraper's Accept header asks), plus {@code /healthz} and {@code /readyz}.
 *
 * <p>Render once, serve many: a scrape of ten thousand agents is megabytes of text, while the data
 * changes about once a minute. The agent and fleet series are rendered off the scrape path: a
 * background thread looks at the data's {@linkplain Data#refresh version} every {@link
 * #RENDER_INTERVAL_NANOS second} and, when it changed, renders them again for each format scrapers
 * asked for (plain or gzipped, Prometheus text, OpenMetrics, protobuf); only the first scrape in a
 * format renders it itself. Each scrape sends the kept bytes plus the exporter's own few series,
 * built fresh. A format no one asked for in {@link #UNUSED_NANOS five minutes} is dropped.
 *
 * <p>The body is a sequence of parts, each its own gzip member when gzipped (a gzip stream may hold
 * several; Prometheus's reader takes them in order) and without the format's end line but the
 * last; a metric family is never split, so the text stays valid. A render compresses at the
 * fastest level as it writes, and writes the families as two halves on two threads.
 *
 * <p>Requests are served by a pool of {@code threads}, so a client that reads slowly holds one
 * thread, not the endpoint.
 */
public final class MetricsEndpoint implements AutoCloseable {

    /** The data a scrape shows: brought up to date (what expired dropped), and its version, which changes with it. */
    public interface Data {
        long refresh();
    }

    /** How often the background thread looks for a change of the data: the most a scrape's data lags the state, plus a render. */
    static final long RENDER_INTERVAL_NANOS = 1_000_000_000L;
    /** A format not scraped for this long is no longer rendered and kept. */
    static final long UNUSED_NANOS = 300_000_000_000L;

    /** A format a scraper asked for. */
    private record Format(ExpositionFormatWriter writer, EscapingScheme escaping, boolean gzip) {}

    /** The agent and fleet series as last rendered for one format, with the data version they show. */
    private static final class Rendered {
        final byte[][] parts;
        final long version;
        volatile long servedAtNanos = System.nanoTime();

        Rendered(byte[][] parts, long version) {
            this.parts = parts;
            this.version = version;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final HttpServer server;
    private final ExecutorService executor;
    private final ExecutorService writers = Executors.newFixedThreadPool(2, runnable -> {
        Thread thread = new Thread(runnable, "asr-exporter-writer");
        thread.setDaemon(true);
        return thread;
    });
    private final PrometheusRegistry data;
    private final Data version;
    private final PrometheusRegistry own;
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final BooleanSupplier ready;
    private final Supplier<String> notReadyBecause;
    private final Map<Format, Rendered> rendered = new ConcurrentHashMap<>();
    private final AtomicLong renders = new AtomicLong();
    private final ScheduledExecutorService renderer = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "asr-exporter-render");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param data the agent and fleet series, rendered when {@code version} changes
     * @param own the exporter's own series, rendered at every scrape
     * @param threads requests served at once
     */
    public MetricsEndpoint(String host, int port, int threads, PrometheusRegistry data, Data version, PrometheusRegistry own,
            BooleanSupplier ready, Supplier<String> notReadyBecause) {
        this.data = data;
        this.version = version;
        this.own = own;
        this.ready = ready;
        this.notReadyBecause = notReadyBecause;
        this.executor = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "asr-exporter-http");
            thread.setDaemon(true);
            return thread;
        });
        HttpServerDefaults.apply();
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("cannot serve the exporter on " + host + ":" + port + ": " + e.getMessage()
                    + ". Choose another asr.exporter.port (or fix asr.exporter.host)", e);
        }
        renderer.scheduleWithFixedDelay(this::renderChanged, RENDER_INTERVAL_NANOS, RENDER_INTERVAL_NANOS, TimeUnit.NANOSECONDS);
        server.createContext("/metrics", this::metrics);
        server.createContext("/", this::other);
        server.setExecutor(executor);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void metrics(HttpExchange exchange) throws IOException {
        try (exchange) {
            String accept = exchange.getRequestHeaders().getFirst("Accept");
            ExpositionFormatWriter writer = formats.findWriter(accept);
            EscapingScheme escaping = EscapingScheme.fromAcceptHeader(accept);
            String encoding = exchange.getRequestHeaders().getFirst("Accept-Encoding");
            boolean gzip = encoding != null && encoding.contains("gzip");
            byte[][] kept = dataParts(writer, escaping, gzip);
            byte[] fresh = render(writer, own.scrape().stream().toList(), escaping, gzip, false, 8 << 10);
            byte[][] parts = Arrays.copyOf(kept, kept.length + 1);
            parts[kept.length] = fresh;
            if (gzip) {
                exchange.getResponseHeaders().set("Content-Encoding", "gzip");
            }
            exchange.getResponseHeaders().set("Content-Type", writer.getContentType());
            if (exchange.getRequestMethod().equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            long length = 0;
            for (byte[] part : parts) {
                length += part.length;
            }
            exchange.sendResponseHeaders(200, length);
            for (byte[] part : parts) {
                exchange.getResponseBody().write(part);
            }
        } catch (RuntimeException e) {
            Health.reply(exchange, 500, Health.problem("cannot build /metrics: " + e.getMessage()));
        }
    }

    /** The agent and fleet series for this format: as kept, or rendered now when it is the first scrape in this format. */
    private byte[][] dataParts(ExpositionFormatWriter writer, EscapingScheme escaping, boolean gzip) {
        Format format = new Format(writer, escaping, gzip);
        Rendered kept = rendered.get(format);
        if (kept == null) {
            synchronized (rendered) {
                kept = rendered.get(format);
                if (kept == null) {
                    kept = render(format, version.refresh());
                }
            }
        }
        kept.servedAtNanos = System.nanoTime();
        return kept.parts;
    }

    /** Each second: when the data changed, every format in use rendered again; formats no one scrapes any more dropped. */
    private void renderChanged() {
        try {
            long current = version.refresh();
            synchronized (rendered) {
                for (Map.Entry<Format, Rendered> entry : rendered.entrySet()) {
                    if (System.nanoTime() - entry.getValue().servedAtNanos > UNUSED_NANOS) {
                        rendered.remove(entry.getKey());
                    } else if (entry.getValue().version != current) {
                        render(entry.getKey(), current);
                    }
                }
            }
        } catch (RuntimeException e) {
            // Scrapes keep the last rendering; the next second tries again.
            log.warn("Could not render /metrics: {}", e.toString());
        }
    }

    /** Renders and keeps the agent and fleet series for {@code format}, showing data version {@code current} (read before the data). */
    private Rendered render(Format format, long current) {
        MetricSnapshots snapshots = data.scrape();
        ExpositionFormatWriter writer = format.writer();
        byte[][] parts;
        if (writer.getContentType().startsWith("text/plain") || writer.getContentType().startsWith("application/openmetrics-text")) {
            List<List<MetricSnapshot>> halves = halves(snapshots);
            CompletableFuture<byte[]> first = CompletableFuture.supplyAsync(
                    () -> render(writer, halves.get(0), format.escaping(), format.gzip(), true, 1 << 20), writers);
            byte[] second = render(writer, halves.get(1), format.escaping(), format.gzip(), true, 1 << 20);
            parts = new byte[][] {first.join(), second};
        } else {
            parts = new byte[][] {render(writer, snapshots.stream().toList(), format.escaping(), format.gzip(), true, 1 << 20)};
        }
        renders.incrementAndGet();
        Rendered fresh = new Rendered(parts, current);
        rendered.put(format, fresh);
        return fresh;
    }

    /** How many times the agent and fleet series were rendered (for tests and the benchmark). */
    public long renders() {
        return renders.get();
    }

    /** The families in two lists of about equal size (by data points), in their original order. */
    private static List<List<MetricSnapshot>> halves(MetricSnapshots snapshots) {
        List<MetricSnapshot> all = snapshots.stream().toList();
        long total = all.stream().mapToLong(s -> s.getDataPoints().size()).sum();
        List<MetricSnapshot> first = new ArrayList<>();
        List<MetricSnapshot> second = new ArrayList<>();
        long sum = 0;
        for (MetricSnapshot snapshot : all) {
            (sum < total / 2 ? first : second).add(snapshot);
            sum += snapshot.getDataPoints().size();
        }
        return List.of(first, second);
    }

    /**
     * One part of the body; all but the last drop the writer's end-of-stream line ("# EOF" in
     * OpenMetrics). Gzipped, the text is compressed as it is written: the plain text of fifty
     * thousand agents (tens of megabytes) is never held whole.
     */
    private static byte[] render(ExpositionFormatWriter writer, List<MetricSnapshot> families, EscapingScheme escaping, boolean gzip,
            boolean dropEnd, int expectedBytes) {
        try {
            ByteArrayOutputStream body = new ByteArrayOutputStream(gzip ? expectedBytes / 8 : expectedBytes);
            OutputStream sink = gzip ? new GZIPOutputStream(body, 1 << 16) {
                {
                    def.setLevel(Deflater.BEST_SPEED);
                }
            } : body;
            try (WithoutEnd text = new WithoutEnd(sink, dropEnd ? EOF : new byte[0])) {
                writer.write(text, MetricSnapshots.of(families.toArray(new MetricSnapshot[0])), escaping);
            }
            return body.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final byte[] EOF = "# EOF\n".getBytes(StandardCharsets.UTF_8);

    /**
     * Passes bytes on, holding back the last {@code end.length}: at close they are dropped if they
     * are {@code end}, else passed on; then the stream below is closed (a gzip stream finishes).
     */
    private static final class WithoutEnd extends OutputStream {
        private final OutputStream out;
        private final byte[] end;
        private final byte[] held;
        private int count;

        WithoutEnd(OutputStream out, byte[] end) {
            this.out = new BufferedOutputStream(out, 1 << 16);
            this.end = end;
            this.held = new byte[end.length];
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            if (held.length == 0) {
                out.write(bytes, offset, length);
                return;
            }
            // Of held + bytes, everything but the last held.length bytes goes on.
            int total = count + length;
            int pass = total - held.length;
            if (pass <= 0) {
                System.arraycopy(bytes, offset, held, count, length);
                count += length;
                return;
            }
            int fromHeld = Math.min(pass, count);
            out.write(held, 0, fromHeld);
            int fromBytes = pass - fromHeld;
            out.write(bytes, offset, fromBytes);
            int keptHeld = count - fromHeld;
            System.arraycopy(held, fromHeld, held, 0, keptHeld);
            System.arraycopy(bytes, offset + fromBytes, held, keptHeld, length - fromBytes);
            count = held.length;
        }

        @Override
        public void close() throws IOException {
            if (count != held.length || !Arrays.equals(held, end)) {
                out.write(held, 0, count);
            }
            out.close();
        }
    }

    private void other(HttpExchange exchange) throws IOException {
        Health.serve(exchange, ready.getAsBoolean() ? null : notReadyBecause.get());
    }

    @Override
    public void close() {
        renderer.shutdownNow();
        server.stop(0);
        executor.shutdownNow();
        writers.shutdownNow();
    }
}
