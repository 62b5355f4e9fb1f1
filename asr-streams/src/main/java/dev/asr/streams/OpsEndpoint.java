package dev.asr.streams;

import dev.asr.schemas.rules.Rejection;
import dev.asr.streams.processor.PipelineCounters;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.LongSupplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * The Streams process's own {@code /metrics}: whether it runs, and what it did with the input
 * (dead letters by reason, duplicates, late records, timed-out tasks). Read at scrape time from
 * the counters; the figures themselves are the exporter's job.
 */
final class OpsEndpoint implements AutoCloseable {

    private final HTTPServer server;

    OpsEndpoint(int port, PipelineCounters counters, KafkaStreams streams) {
        PrometheusRegistry registry = new PrometheusRegistry();
        GaugeWithCallback.builder().name("asr_streams_up")
                .help("1 while Kafka Streams is running or rebalancing, 0 otherwise")
                .callback(cb -> cb.call(streams.state().isRunningOrRebalancing() ? 1 : 0))
                .register(registry);
        CounterWithCallback.builder().name("asr_dead_letters_total")
                .help("Input records sent to the dead-letter topic, by reason")
                .labelNames("reason")
                .callback(cb -> {
                    for (Rejection rejection : Rejection.values()) {
                        cb.call(counters.deadLetters(rejection), rejection.code());
                    }
                })
                .register(registry);
        counter(registry, "asr_events_processed_total", "Valid input events processed (duplicates and late ones included)",
                counters::processed);
        counter(registry, "asr_duplicate_events_total", "Events ignored as duplicates: a seen event_id, or a second outcome",
                counters::duplicates);
        counter(registry, "asr_late_records_total", "Events that arrived after their agent's bucket closed, applied to its earliest open one",
                counters::late);
        counter(registry, "asr_timed_out_tasks_total", "Tasks settled as TIMED_OUT", counters::timedOut);
        counter(registry, "asr_metrics_records_total", "Agent window metrics records written", counters::metricsEmitted);
        counter(registry, "asr_band_transitions_written_total", "Band transitions written", counters::transitionsEmitted);
        counter(registry, "asr_fleet_contributions_dropped_total", "Agents' windows that reached the fleet roll-up after their fleet"
                + " window was forgotten (older than the longest view plus asr.fleet.max-wait): in no fleet row",
                counters::fleetContributionsDropped);
        counter(registry, "asr_saturated_sums_total", "Times a figure's sum reached the range of a 64-bit integer and was held there"
                + " instead of overflowing (thousands of billion-unit events in one window)", counters::saturated);
        try {
            server = HTTPServer.builder().port(port).registry(registry).buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the streams /metrics on port " + port + ": " + e.getMessage()
                    + ". Choose another asr.streams.metrics-port (or -1 for none)", e);
        }
    }

    private static void counter(PrometheusRegistry registry, String name, String help, LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong())).register(registry);
    }

    String url() {
        return "http://localhost:" + server.getPort() + "/metrics";
    }

    @Override
    public void close() {
        server.close();
    }
}
