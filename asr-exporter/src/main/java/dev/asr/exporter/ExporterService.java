package dev.asr.exporter;

import com.sun.net.httpserver.HttpExchange;
import dev.asr.exporter.kafka.TopicFeed;
import dev.asr.exporter.prometheus.AsrCollector;
import dev.asr.exporter.state.FleetState;
import dev.asr.schemas.Topics;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The exporter as a service: the topic feed filling {@link FleetState}, and an HTTP server with
 * {@code /metrics} (Prometheus text or OpenMetrics, as the scraper asks), {@code /healthz} (the
 * process serves) and {@code /readyz} (it reads its topics and has caught up with what they held
 * at start).
 */
public final class ExporterService implements AutoCloseable {

    private final TopicFeed feed;
    private final HTTPServer server;

    private ExporterService(ExporterSettings settings, Map<String, Object> clientConfig, Topics topics) {
        FleetState state = new FleetState(settings.bandView(), settings.counterView());
        this.feed = new TopicFeed(clientConfig, topics, state, settings.agentTtl());
        PrometheusRegistry registry = new PrometheusRegistry();
        String version = ExporterService.class.getPackage().getImplementationVersion();
        registry.register(new AsrCollector(settings, state, feed, version == null ? "dev" : version));
        try {
            this.server = HTTPServer.builder()
                    .port(settings.port())
                    .registry(registry)
                    .registerHealthHandler(false)
                    .defaultHandler(this::health)
                    .buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the exporter on port " + settings.port() + ": " + e.getMessage()
                    + ". Choose another asr.exporter.port", e);
        }
    }

    public static ExporterService start(ExporterSettings settings, Map<String, Object> clientConfig, Topics topics) {
        ExporterService service = new ExporterService(settings, clientConfig, topics);
        service.feed.start();
        return service;
    }

    public int port() {
        return server.getPort();
    }

    public String url() {
        return "http://localhost:" + port() + "/metrics";
    }

    public boolean ready() {
        return feed.ready() && feed.up();
    }

    private void health(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        int status;
        String body;
        switch (path) {
            case "/healthz" -> {
                status = 200;
                body = "ok\n";
            }
            case "/readyz" -> {
                status = ready() ? 200 : 503;
                body = ready() ? "ready\n"
                        : "not ready: " + (feed.problem() != null ? feed.problem() : "still reading what the topics held at start") + "\n";
            }
            default -> {
                status = 404;
                body = "not found: try /metrics, /healthz or /readyz\n";
            }
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.close();
        feed.close();
    }
}
