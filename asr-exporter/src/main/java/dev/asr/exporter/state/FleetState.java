package dev.asr.exporter.state;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The latest of everything the topology wrote, as the exporter needs it at scrape time: per agent
 * its latest row per window, band and counters; per fleet its latest rows and transition counts.
 * One thread writes (the topic feed), scrapes read: each agent's entry is an immutable snapshot,
 * replaced whole.
 */
public final class FleetState {

    /**
     * One agent as of its latest rows. Money counters are in micros. {@code labels} and {@code
     * windowLabels} are built once per agent, not per scrape: with thousands of agents, building
     * label sets was most of a scrape's cost.
     */
    public record Agent(String agentId, String fleet, Map<String, AgentWindowMetrics> byWindow, Band band, long heardAtMs,
            long spendMicros, long autonomousSpendMicros, long valueMicros, long countedUpToMs, Labels labels,
            Map<String, Labels> windowLabels) {}

    /** One fleet as of its latest rows. */
    public record Fleet(String fleet, Map<String, AgentWindowMetrics> byWindow, long heardAtMs) {}

    private static final Band[] BANDS = Band.values();

    private final String bandView;
    private final String counterView;
    /** Sorted by agent id: scrapes emit points in label order, which client_java then checks in one pass. */
    private final Map<String, Agent> agents = new ConcurrentSkipListMap<>();
    private final Map<String, Fleet> fleets = new ConcurrentHashMap<>();
    /** Per fleet, transitions by from × to ordinal. */
    private final Map<String, AtomicLongArray> transitions = new ConcurrentHashMap<>();

    public FleetState(String bandView, String counterView) {
        this.bandView = bandView;
        this.counterView = counterView;
    }

    /**
     * Takes a metrics row. A replayed row (read again at start-up) restores gauges but adds nothing
     * to the counters: they count what happened while this exporter ran.
     */
    public void onMetrics(AgentWindowMetrics row, long heardAtMs, boolean replayed) {
        if (row.getAgentId() == null) {
            fleets.compute(row.getFleet(), (name, old) -> {
                Map<String, AgentWindowMetrics> windows = old == null ? new HashMap<>() : new HashMap<>(old.byWindow());
                windows.merge(row.getWindow(), row, FleetState::later);
                return new Fleet(name, Map.copyOf(windows), Math.max(heardAtMs, old == null ? 0 : old.heardAtMs()));
            });
            transitions.computeIfAbsent(row.getFleet(), f -> new AtomicLongArray(BANDS.length * BANDS.length));
            return;
        }
        agents.compute(row.getAgentId(), (id, old) -> {
            Map<String, AgentWindowMetrics> windows = old == null ? new HashMap<>() : new HashMap<>(old.byWindow());
            windows.merge(row.getWindow(), row, FleetState::later);
            long spend = old == null ? 0 : old.spendMicros();
            long autonomous = old == null ? 0 : old.autonomousSpendMicros();
            long value = old == null ? 0 : old.valueMicros();
            long countedUpTo = old == null ? Long.MIN_VALUE : old.countedUpToMs();
            long end = row.getWindowEnd().toEpochMilli();
            if (row.getWindow().equals(counterView) && end > countedUpTo) {
                if (!replayed) {
                    spend += row.getSpendMicros();
                    autonomous += row.getAutonomousSpendMicros();
                    value += row.getValueMicros();
                }
                countedUpTo = end;
            }
            AgentWindowMetrics deciding = windows.getOrDefault(bandView, row);
            boolean sameFleet = old != null && old.fleet().equals(row.getFleet());
            Labels labels = sameFleet ? old.labels() : Labels.of("agent", id, "fleet", row.getFleet());
            Map<String, Labels> windowLabels = sameFleet ? old.windowLabels() : Map.of();
            if (!windowLabels.containsKey(row.getWindow())) {
                Map<String, Labels> more = new HashMap<>(windowLabels);
                more.put(row.getWindow(), Labels.of("agent", id, "fleet", row.getFleet(), "window", row.getWindow()));
                windowLabels = Map.copyOf(more);
            }
            return new Agent(id, row.getFleet(), Map.copyOf(windows), deciding.getBand(),
                    Math.max(heardAtMs, old == null ? 0 : old.heardAtMs()), spend, autonomous, value, countedUpTo, labels, windowLabels);
        });
        transitions.computeIfAbsent(row.getFleet(), f -> new AtomicLongArray(BANDS.length * BANDS.length));
    }

    public void onTransition(BandTransition transition) {
        transitions.computeIfAbsent(transition.getFleet(), f -> new AtomicLongArray(BANDS.length * BANDS.length))
                .incrementAndGet(transition.getFromBand().ordinal() * BANDS.length + transition.getToBand().ordinal());
    }

    /** Forgets agents and fleets not heard from since {@code cutoffMs}. */
    public void expire(long cutoffMs) {
        agents.values().removeIf(agent -> agent.heardAtMs() < cutoffMs);
        fleets.values().removeIf(fleet -> fleet.heardAtMs() < cutoffMs);
    }

    /** The agents heard from most recently, at most {@code limit}, in agent id order. */
    public List<Agent> agents(int limit) {
        List<Agent> all = new ArrayList<>(agents.values());
        if (all.size() > limit) {
            all.sort(Comparator.comparingLong(Agent::heardAtMs).reversed());
            all = new ArrayList<>(all.subList(0, limit));
            all.sort(Comparator.comparing(Agent::agentId));
        }
        return all;
    }

    public int agentCount() {
        return agents.size();
    }

    public List<Fleet> fleets() {
        return new ArrayList<>(fleets.values());
    }

    /** Fleet names with transitions counted (or seen at all); every from/to pair is reported for them. */
    public Map<String, long[]> transitionCounts() {
        Map<String, long[]> counts = new HashMap<>();
        transitions.forEach((fleet, array) -> {
            long[] copy = new long[array.length()];
            for (int i = 0; i < copy.length; i++) {
                copy[i] = array.get(i);
            }
            counts.put(fleet, copy);
        });
        return counts;
    }

    private static AgentWindowMetrics later(AgentWindowMetrics a, AgentWindowMetrics b) {
        return b.getWindowEnd().isBefore(a.getWindowEnd()) ? a : b;
    }
}
