package dev.asr.exporter.prometheus;

import dev.asr.exporter.ExporterSettings;
import dev.asr.exporter.kafka.TopicFeed;
import dev.asr.exporter.state.FleetState;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.InfoSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The exporter's own series ({@code asr_exporter_*}): whether it reads, how far behind, how many
 * agents it knows and leaves out. A few lines, built at every scrape; the agent and fleet series
 * are {@link AsrCollector}'s, rendered only when they change.
 */
public final class ExporterCollector implements MultiCollector {

    private final ExporterSettings settings;
    private final FleetState state;
    private final TopicFeed feed;
    private final String version;

    public ExporterCollector(ExporterSettings settings, FleetState state, TopicFeed feed, String version) {
        this.settings = settings;
        this.state = state;
        this.feed = feed;
        this.version = version;
    }

    @Override
    public MetricSnapshots collect() {
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        int known = state.agentCount();
        int dropped = settings.perAgent() ? Math.max(0, known - settings.maxAgents()) : 0;
        out.metricSnapshot(gauge("asr_exporter_up", "1 while the exporter reads its topics, 0 otherwise", feed.up() ? 1 : 0));
        if (feed.lastRecordMs() > 0) {
            out.metricSnapshot(gauge("asr_exporter_last_record_timestamp_seconds", "When the last record was read (Unix time)",
                    feed.lastRecordMs() / 1000.0));
        }
        CounterSnapshot.Builder records = CounterSnapshot.builder().name("asr_exporter_records").help("Records read, by topic");
        feed.recordsByTopic().forEach((topic, count) ->
                records.dataPoint(CounterDataPointSnapshot.builder().value(count).labels(Labels.of("topic", topic)).build()));
        out.metricSnapshot(records.build());
        GaugeSnapshot.Builder lag = GaugeSnapshot.builder().name("asr_exporter_consumer_lag_records")
                .help("Records not yet read, by topic");
        Map<String, Long> lags = new HashMap<>(feed.lag());
        feed.recordsByTopic().keySet().forEach(topic -> lags.putIfAbsent(topic, 0L));
        lags.forEach((topic, behind) ->
                lag.dataPoint(GaugeDataPointSnapshot.builder().value(behind).labels(Labels.of("topic", topic)).build()));
        out.metricSnapshot(lag.build());
        out.metricSnapshot(CounterSnapshot.builder().name("asr_exporter_unreadable_records")
                .help("Records skipped because they could not be decoded")
                .dataPoint(CounterDataPointSnapshot.builder().value(feed.badRecords()).build()).build());
        out.metricSnapshot(gauge("asr_exporter_agents", "Agents with an event within the agent TTL", known));
        out.metricSnapshot(gauge("asr_exporter_agents_dropped", "Agents left out of the per-agent series by asr.exporter.max-agents"
                + " (the least recently active)", dropped));
        int fleets = state.fleetCount();
        out.metricSnapshot(gauge("asr_exporter_fleets", "Fleets with an agent or a fleet row within the agent TTL", fleets));
        out.metricSnapshot(gauge("asr_exporter_fleets_dropped", "Fleets left out of the fleet series by asr.exporter.max-agents"
                + " (the least recently active)", Math.max(0, fleets - settings.maxAgents())));
        out.metricSnapshot(InfoSnapshot.builder().name("asr_exporter").help("The exporter's version and the deployment's currency")
                .dataPoint(InfoSnapshot.InfoDataPointSnapshot.builder()
                        .labels(Labels.of("currency", settings.currency(), "version", version)).build()).build());
        return out.build();
    }

    private static GaugeSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help).dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of("asr_exporter_up", "asr_exporter_last_record_timestamp_seconds", "asr_exporter_records",
                "asr_exporter_consumer_lag_records", "asr_exporter_unreadable_records", "asr_exporter_agents", "asr_exporter_agents_dropped",
                "asr_exporter_fleets", "asr_exporter_fleets_dropped",
                "asr_exporter");
    }
}
