package dev.asr.exporter.prometheus;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.exporter.ExporterSettings;
import dev.asr.exporter.state.FleetState;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds the agent and fleet series of {@code /metrics} from {@link FleetState}, when {@link
 * MetricsEndpoint} renders them (after the state changed): no sample carries a timestamp, and an
 * undefined ratio (null in the row) has no sample. The exporter's own series are {@link
 * ExporterCollector}'s, rendered at every scrape.
 */
public final class AsrCollector implements MultiCollector {

    private static final double MICROS = 1_000_000.0;
    private static final Band[] BANDS = Band.values();

    private final ExporterSettings settings;
    private final FleetState state;
    private final String unit;

    public AsrCollector(ExporterSettings settings, FleetState state) {
        this.settings = settings;
        this.state = state;
        this.unit = settings.moneyUnit();
    }

    /** A per-window gauge: the metric name and what it reads from a row (null: no sample). */
    private record WindowGauge(String name, String help, Function<AgentWindowMetrics, Double> read) {}

    private List<WindowGauge> windowGauges() {
        return List.of(
                new WindowGauge("asr_ratio", "Autonomy-to-Spend Ratio: autonomous spend / spend of the window (0..1)", AgentWindowMetrics::getAsr),
                new WindowGauge("asr_win_ratio", "Succeeded tasks / settled tasks", AgentWindowMetrics::getWinRate),
                new WindowGauge("asr_autonomous_roi", "Autonomous value / spend (> 1: the agent paid for itself)",
                        AgentWindowMetrics::getAutonomousRoi),
                new WindowGauge("asr_value_per_token_" + unit, "Value / (input + output tokens)", AgentWindowMetrics::getEvPerToken),
                new WindowGauge("asr_cost_per_action_" + unit, "Spend / actions (spend events)", AgentWindowMetrics::getCostPerAction),
                new WindowGauge("asr_idle_spend_ratio", "(IDLE + OVERHEAD spend) / spend", AgentWindowMetrics::getIdleShare));
    }

    @Override
    public MetricSnapshots collect() {
        MetricSnapshots.Builder out = MetricSnapshots.builder();
        if (settings.perAgent()) {
            agentSeries(out, state.agents(settings.maxAgents()));
        }
        fleetSeries(out, state.agents(Integer.MAX_VALUE));
        return out.build();
    }

    /** One agent's data points, built once per agent snapshot and reused until its rows change. */
    private record AgentPoints(FleetState.Agent source, List<List<GaugeDataPointSnapshot>> windowGauges, GaugeDataPointSnapshot band,
            CounterDataPointSnapshot spend, CounterDataPointSnapshot autonomous, CounterDataPointSnapshot value) {}

    /** Keyed by {@link FleetState.Agent#key()}; an entry is valid while its source is the agent's current snapshot. */
    private volatile Map<String, AgentPoints> pointsByAgent = Map.of();

    private AgentPoints points(FleetState.Agent agent, List<WindowGauge> gauges) {
        AgentPoints cached = pointsByAgent.get(agent.key());
        if (cached != null && cached.source() == agent) {
            return cached;
        }
        List<List<GaugeDataPointSnapshot>> windowGauges = new ArrayList<>(gauges.size());
        for (WindowGauge gauge : gauges) {
            List<GaugeDataPointSnapshot> points = new ArrayList<>(settings.agentWindows().size());
            for (String window : settings.agentWindows()) {
                AgentWindowMetrics row = agent.byWindow().get(window);
                Double value = row == null ? null : gauge.read().apply(row);
                if (value != null) {
                    points.add(GaugeDataPointSnapshot.builder().value(value).labels(agent.windowLabels().get(window)).build());
                }
            }
            windowGauges.add(points);
        }
        Labels labels = agent.labels();
        return new AgentPoints(agent, windowGauges,
                GaugeDataPointSnapshot.builder().value(agent.band().ordinal()).labels(labels).build(),
                CounterDataPointSnapshot.builder().value(agent.spendMicros() / MICROS).labels(labels).build(),
                CounterDataPointSnapshot.builder().value(agent.autonomousSpendMicros() / MICROS).labels(labels).build(),
                CounterDataPointSnapshot.builder().value(agent.valueMicros() / MICROS).labels(labels).build());
    }

    private void agentSeries(MetricSnapshots.Builder out, List<FleetState.Agent> agents) {
        List<WindowGauge> gauges = windowGauges();
        // Agents come in id order, so points are in label order (agent first): client_java sorts each
        // metric's points to find duplicates, and a sort of sorted input is one pass.
        Map<String, AgentPoints> current = new LinkedHashMap<>(agents.size() * 2);
        for (FleetState.Agent agent : agents) {
            current.put(agent.key(), points(agent, gauges));
        }
        pointsByAgent = current;
        for (int i = 0; i < gauges.size(); i++) {
            GaugeSnapshot.Builder metric = GaugeSnapshot.builder().name(gauges.get(i).name()).help(gauges.get(i).help());
            for (AgentPoints points : current.values()) {
                points.windowGauges().get(i).forEach(metric::dataPoint);
            }
            out.metricSnapshot(metric.build());
        }
        GaugeSnapshot.Builder band = GaugeSnapshot.builder().name("asr_band")
                .help("Autonomy band: 0 unrated, 1 reactive, 2 assisted, 3 self-directed");
        CounterSnapshot.Builder spend = CounterSnapshot.builder().name("asr_spend_" + unit)
                .help("Spend counted in the ASR denominator (settled tasks + unattributed), in " + settings.currency());
        CounterSnapshot.Builder autonomous = CounterSnapshot.builder().name("asr_autonomous_spend_" + unit)
                .help("Spend of autonomous tasks (the ASR numerator), in " + settings.currency());
        CounterSnapshot.Builder value = CounterSnapshot.builder().name("asr_value_" + unit)
                .help("Value of settled tasks, in " + settings.currency());
        for (AgentPoints points : current.values()) {
            band.dataPoint(points.band());
            spend.dataPoint(points.spend());
            autonomous.dataPoint(points.autonomous());
            value.dataPoint(points.value());
        }
        out.metricSnapshot(band.build()).metricSnapshot(spend.build()).metricSnapshot(autonomous.build()).metricSnapshot(value.build());
    }

    /**
     * The fleet families, for the {@code asr.exporter.max-agents} most recently active fleets (a fleet
     * has a fixed number of series per family, so each family stays bounded); the band counts of a
     * shown fleet count all its agents, shown or not.
     */
    private void fleetSeries(MetricSnapshots.Builder out, List<FleetState.Agent> agents) {
        Map<String, int[]> byBand = new LinkedHashMap<>();
        Map<String, Long> activity = new HashMap<>();
        for (FleetState.Agent agent : agents) {
            byBand.computeIfAbsent(agent.fleet(), f -> new int[BANDS.length])[agent.band().ordinal()]++;
            activity.merge(agent.fleet(), agent.activeAtMs(), Math::max);
        }
        List<FleetState.Fleet> fleetRows = state.fleets();
        fleetRows.forEach(fleet -> activity.merge(fleet.fleet(), fleet.activeAtMs(), Math::max));
        Map<String, long[]> transitions = state.transitionCounts();
        transitions.keySet().forEach(fleet -> activity.putIfAbsent(fleet, Long.MIN_VALUE));
        Set<String> shown = mostActive(activity, settings.maxAgents());
        byBand.keySet().retainAll(shown);
        transitions.keySet().retainAll(shown);
        transitions.keySet().forEach(fleet -> byBand.computeIfAbsent(fleet, f -> new int[BANDS.length]));
        GaugeSnapshot.Builder fleetAgents = GaugeSnapshot.builder().name("asr_fleet_agents").help("Agents of the fleet in each band");
        byBand.forEach((fleet, counts) -> {
            for (Band band : BANDS) {
                fleetAgents.dataPoint(GaugeDataPointSnapshot.builder().value(counts[band.ordinal()])
                        .labels(Labels.of("band", band.name().toLowerCase(), "fleet", fleet)).build());
            }
        });
        out.metricSnapshot(fleetAgents.build());

        GaugeSnapshot.Builder fleetRatio = GaugeSnapshot.builder().name("asr_fleet_ratio")
                .help("Autonomy-to-Spend Ratio of the fleet: its agents' autonomous spend / spend");
        for (FleetState.Fleet fleet : fleetRows) {
            if (!shown.contains(fleet.fleet())) {
                continue;
            }
            fleet.byWindow().forEach((window, row) -> {
                if (row.getAsr() != null) {
                    fleetRatio.dataPoint(GaugeDataPointSnapshot.builder().value(row.getAsr())
                            .labels(Labels.of("fleet", fleet.fleet(), "window", window)).build());
                }
            });
        }
        out.metricSnapshot(fleetRatio.build());

        CounterSnapshot.Builder moves = CounterSnapshot.builder().name("asr_band_transitions")
                .help("Band transitions since this exporter started, by fleet and from/to band");
        transitions.forEach((fleet, counts) -> {
            for (Band from : BANDS) {
                for (Band to : BANDS) {
                    if (from != to) {
                        moves.dataPoint(CounterDataPointSnapshot.builder().value(counts[from.ordinal() * BANDS.length + to.ordinal()])
                                .labels(Labels.of("fleet", fleet, "from", from.name().toLowerCase(), "to", to.name().toLowerCase()))
                                .build());
                    }
                }
            }
        });
        out.metricSnapshot(moves.build());
        state.markShown(transitions.keySet());
    }

    /** The {@code limit} keys of the latest activity (all when there are no more). */
    static Set<String> mostActive(Map<String, Long> activity, int limit) {
        if (activity.size() <= limit) {
            return activity.keySet();
        }
        List<Map.Entry<String, Long>> entries = new ArrayList<>(activity.entrySet());
        entries.sort(Map.Entry.<String, Long>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()));
        Set<String> kept = new HashSet<>();
        entries.subList(0, limit).forEach(e -> kept.add(e.getKey()));
        return kept;
    }

    /** The names this collector reports, for the registry. */
    @Override
    public List<String> getPrometheusNames() {
        List<String> names = new ArrayList<>();
        windowGauges().forEach(g -> names.add(g.name()));
        names.addAll(List.of("asr_band", "asr_spend_" + unit, "asr_autonomous_spend_" + unit, "asr_value_" + unit, "asr_fleet_agents",
                "asr_fleet_ratio", "asr_band_transitions"));
        return names;
    }
}
