package dev.asr.streams;

import com.sun.net.httpserver.HttpExchange;
import dev.asr.schemas.ops.Health;
import dev.asr.schemas.ops.HttpServerDefaults;
import dev.asr.schemas.ops.Reachability;
import dev.asr.schemas.rules.Rejection;
import dev.asr.streams.processor.PipelineCounters;
import dev.asr.streams.query.StateEndpoint;
import dev.asr.streams.query.StateQueries;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.ThreadMetadata;

/**
 * The Streams process's own endpoint: {@code /metrics} (whether it runs, and what it did with the
 * input: dead letters by reason, duplicates, late records, timed-out tasks, read at scrape time from
 * the counters; the figures themselves are the exporter's job), {@code /healthz} and {@code
 * /readyz} (see {@link Health}), and the topology's state for the read API ({@link StateEndpoint}, {@code
 * /v1/state/...}: internal, like the rest of this port). It serves from before Kafka is reached, so {@code /readyz} can say
 * why the topology has not started; {@link #attach} hands it the running topology.
 */
public final class OpsEndpoint implements AutoCloseable {

    private final HTTPServer server;
    private final String host;
    private final Reachability reach;
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private volatile KafkaStreams streams;
    private volatile StreamsService service;
    private volatile StateEndpoint state;

    /** Serves on {@code host:port} (0: any free port); {@code reach}, when not null, names what keeps Kafka away. */
    public OpsEndpoint(String host, int port, Reachability reach) {
        this.host = host;
        this.reach = reach;
        GaugeWithCallback.builder().name("asr_streams_up")
                .help("1 while Kafka Streams is running or rebalancing, 0 otherwise")
                .callback(cb -> cb.call(streams != null && streams.state().isRunningOrRebalancing() ? 1 : 0))
                .register(registry);
        HttpServerDefaults.apply();
        try {
            server = HTTPServer.builder().hostname(host).port(port).registry(registry).registerHealthHandler(true)
                    .defaultHandler(this::health).buildAndStart();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot serve the streams /metrics on " + host + ":" + port + ": " + e.getMessage()
                    + ". Choose another asr.streams.metrics-port (or -1 for none), or fix asr.streams.host", e);
        }
    }

    /** From now on the endpoint reports on this topology. */
    void attach(StreamsService running, KafkaStreams kafkaStreams, PipelineCounters counters, RestoreProgress restore,
            LongSupplier rebalances, StateQueries queries) {
        GaugeWithCallback.builder().name("asr_streams_state")
                .help("1 for Kafka Streams' current state (RUNNING processes; REBALANCING moves tasks or restores their state)")
                .labelNames("state")
                .callback(cb -> {
                    KafkaStreams.State now = kafkaStreams.state();
                    for (KafkaStreams.State state : KafkaStreams.State.values()) {
                        cb.call(state == now ? 1 : 0, state.name());
                    }
                })
                .register(registry);
        GaugeWithCallback.builder().name("asr_streams_tasks")
                .help("Tasks this instance owns: active ones process input partitions, standby ones keep a copy of their state")
                .labelNames("kind")
                .callback(cb -> {
                    int active = 0;
                    int standby = 0;
                    for (ThreadMetadata thread : kafkaStreams.metadataForLocalThreads()) {
                        active += thread.activeTasks().size();
                        standby += thread.standbyTasks().size();
                    }
                    cb.call(active, "active");
                    cb.call(standby, "standby");
                })
                .register(registry);
        counter("asr_streams_rebalances_total", "Times this instance entered REBALANCING (an instance joined, left or died;"
                + " partitions were added)", rebalances);
        GaugeWithCallback.builder().name("asr_streams_restore_remaining_records")
                .help("Changelog records still to read before the tasks being restored process again (0 when none is)")
                .callback(cb -> cb.call(restore.remainingRecords()))
                .register(registry);
        counter("asr_streams_restored_records_total", "Changelog records read to restore state since start", restore::restoredRecords);
        GaugeWithCallback.builder().name("asr_streams_input_lag_records")
                .help("Records on this instance's input partitions (input and repartition topics) not read yet, from its consumer")
                .callback(cb -> cb.call(inputLag(kafkaStreams)))
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
        counter("asr_events_processed_total", "Valid input events processed (duplicates and late ones included)", counters::processed);
        counter("asr_duplicate_events_total", "Events ignored as duplicates: a seen event_id, or a second outcome", counters::duplicates);
        counter("asr_late_records_total", "Events that arrived after their agent's bucket closed, applied to its earliest open one",
                counters::late);
        counter("asr_timed_out_tasks_total", "Tasks settled as TIMED_OUT", counters::timedOut);
        counter("asr_metrics_records_total", "Agent window metrics records written", counters::metricsEmitted);
        counter("asr_band_transitions_written_total", "Band transitions written", counters::transitionsEmitted);
        counter("asr_fleet_contributions_dropped_total", "Agents' windows that reached the fleet roll-up after their fleet"
                + " window was forgotten (older than the longest view plus asr.fleet.max-wait): in no fleet row",
                counters::fleetContributionsDropped);
        counter("asr_saturated_sums_total", "Times a figure's sum reached the range of a 64-bit integer and was held there"
                + " instead of overflowing (thousands of billion-unit events in one window)", counters::saturated);
        this.streams = kafkaStreams;
        this.service = running;
        this.state = new StateEndpoint(queries);
    }

    /** The main consumers' {@code records-lag}, summed over their partitions (the restore consumer's not counted). */
    private static double inputLag(KafkaStreams kafkaStreams) {
        double lag = 0;
        for (Map.Entry<MetricName, ? extends Metric> metric : kafkaStreams.metrics().entrySet()) {
            MetricName name = metric.getKey();
            if (name.name().equals("records-lag") && name.group().equals("consumer-fetch-manager-metrics")
                    && name.tags().containsKey("partition") && !name.tags().getOrDefault("client-id", "").endsWith("restore-consumer")
                    && metric.getValue().metricValue() instanceof Number value && Double.isFinite(value.doubleValue())) {
                lag += value.doubleValue();
            }
        }
        return lag;
    }

    private void counter(String name, String help, LongSupplier value) {
        CounterWithCallback.builder().name(name).help(help).callback(cb -> cb.call(value.getAsLong())).register(registry);
    }

    /** Why the topology does not process now, or null. */
    String notReadyBecause() {
        String unreachable = reach == null ? null : reach.problem();
        KafkaStreams running = streams;
        if (running == null) {
            return unreachable != null ? unreachable : "the topology has not started yet (checking the ASR topics)";
        }
        KafkaStreams.State state = running.state();
        if (state == KafkaStreams.State.RUNNING) {
            return unreachable;
        }
        Throwable failure = service == null ? null : service.failure();
        if (failure != null) {
            return "Kafka Streams stopped on an error: " + failure.getMessage();
        }
        String why = switch (state) {
            case REBALANCING -> "Kafka Streams is rebalancing (partitions being assigned, or state restored from the changelogs)";
            case CREATED -> "Kafka Streams is starting";
            default -> "Kafka Streams is " + state;
        };
        return unreachable == null ? why : why + "; " + unreachable;
    }

    private void health(HttpExchange exchange) throws IOException {
        if (StateEndpoint.handles(exchange.getRequestURI().getPath())) {
            StateEndpoint.serve(exchange, state);
            return;
        }
        Health.serve(exchange, notReadyBecause());
    }

    /** The port it listens on. */
    public int port() {
        return server.getPort();
    }

    /** {@code http://host:port}, with localhost for every interface. */
    public String baseUrl() {
        String shown = host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host;
        return "http://" + shown + ":" + server.getPort();
    }

    String url() {
        return baseUrl() + "/metrics";
    }

    @Override
    public void close() {
        server.close();
    }
}
