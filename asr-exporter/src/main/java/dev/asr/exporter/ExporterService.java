package dev.asr.exporter;

import dev.asr.exporter.kafka.TopicFeed;
import dev.asr.exporter.prometheus.AsrCollector;
import dev.asr.exporter.prometheus.ExporterCollector;
import dev.asr.exporter.prometheus.MetricsEndpoint;
import dev.asr.exporter.state.FleetState;
import dev.asr.schemas.Topics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.util.Map;
import java.util.Set;

/**
 * The exporter as a service: the topic feed filling {@link FleetState}, and {@link MetricsEndpoint}
 * with {@code /metrics} (Prometheus text or OpenMetrics, as the scraper asks), {@code /healthz} (the
 * process serves) and {@code /readyz} (it reads its topics and has caught up with what they held
 * at start).
 */
public final class ExporterService implements AutoCloseable {

    private final TopicFeed feed;
    private final MetricsEndpoint endpoint;

    private ExporterService(ExporterSettings settings, Map<String, Object> clientConfig, Topics topics) {
        FleetState state = new FleetState(settings.bandView(), settings.counterView(), Set.copyOf(settings.agentWindows()));
        this.feed = new TopicFeed(clientConfig, topics, state, settings.agentTtl());
        PrometheusRegistry data = new PrometheusRegistry();
        data.register(new AsrCollector(settings, state));
        PrometheusRegistry own = new PrometheusRegistry();
        String version = ExporterService.class.getPackage().getImplementationVersion();
        own.register(new ExporterCollector(settings, state, feed, version == null ? "dev" : version));
        long ttlMs = settings.agentTtl().toMillis();
        this.endpoint = new MetricsEndpoint(settings.host(), settings.port(), settings.threads(), data, () -> {
            state.expire(System.currentTimeMillis() - ttlMs);
            return state.version();
        }, own, this::ready, () -> feed.problem() != null ? feed.problem() : "still reading what the topics held at start");
    }

    public static ExporterService start(ExporterSettings settings, Map<String, Object> clientConfig, Topics topics) {
        ExporterService service = new ExporterService(settings, clientConfig, topics);
        service.feed.start();
        return service;
    }

    public int port() {
        return endpoint.port();
    }

    public String url() {
        return "http://localhost:" + port() + "/metrics";
    }

    /** How many times the agent and fleet series were rendered: once per change of the data, at most once a second. */
    public long renders() {
        return endpoint.renders();
    }

    public boolean ready() {
        return feed.ready() && feed.up();
    }

    @Override
    public void close() {
        endpoint.close();
        feed.close();
    }
}
