package dev.asr.exporter.state;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The latest of everything the topology wrote, as the exporter needs it at scrape time: per agent
 * (fleet plus agent id: two fleets may each have a {@code bot-1}) its latest row per window, band
 * and counters; per fleet its latest rows and transition counts. One thread writes (the topic
 * feed), scrapes read: each agent's entry is an immutable snapshot, replaced whole.
 *
 * <p>Liveness is by activity (SPEC §7 v2): an agent is active as of its last <em>event</em> (the
 * rows' {@code last_event_at}), not its last row, since a silent agent's 24 h view keeps writing
 * rows for a day.
 *
 * <p>{@link #version()} changes with every change a scrape could show, so {@code /metrics} is
 * rendered again only then. A fleet's transition counters are shown at zero before its first
 * transition is added to them ({@link #markShown}): Prometheus's {@code increase()} sees a series'
 * first sample as its start, so a first rating counted before any scrape saw the series would never
 * show on a dashboard.
 */
public final class FleetState {

    /**
     * One agent as of its latest rows. Money counters are in micros. {@code activeAtMs} is the time
     * of its last event. {@code labels} and {@code windowLabels} are built once per agent, not per
     * scrape: with thousands of agents, building label sets was most of a scrape's cost.
     */
    public record Agent(String key, String agentId, String fleet, Map<String, AgentWindowMetrics> byWindow, Band band, long activeAtMs,
            long spendMicros, long autonomousSpendMicros, long valueMicros, long countedUpToMs, Labels labels,
            Map<String, Labels> windowLabels) {}

    /** One fleet as of its latest rows; {@code activeAtMs}: its agents' last event, as its rows say. */
    public record Fleet(String fleet, Map<String, AgentWindowMetrics> byWindow, long activeAtMs) {}

    private static final Band[] BANDS = Band.values();

    private final String bandView;
    private final String counterView;
    /** By agent id then fleet (the label order): scrapes emit points sorted, which client_java then checks in one pass. */
    private final Map<String, Agent> agents = new ConcurrentSkipListMap<>();
    private final Map<String, Fleet> fleets = new ConcurrentHashMap<>();
    /** Per fleet, transitions by from × to ordinal. */
    private final Map<String, Transitions> transitions = new ConcurrentHashMap<>();
    private final AtomicLong version = new AtomicLong();

    /** A fleet's transition counts: those shown, and those held until a scrape has shown the counters at zero. */
    private static final class Transitions {
        final AtomicLongArray shown = new AtomicLongArray(BANDS.length * BANDS.length);
        final AtomicLongArray held = new AtomicLongArray(BANDS.length * BANDS.length);
        volatile boolean zeroShown;

        boolean holds() {
            for (int i = 0; i < held.length(); i++) {
                if (held.get(i) != 0) {
                    return true;
                }
            }
            return false;
        }

        /** Moves what was held into what is shown; true when there was any. */
        boolean release() {
            boolean any = false;
            for (int i = 0; i < held.length(); i++) {
                long count = held.getAndSet(i, 0);
                if (count != 0) {
                    shown.addAndGet(i, count);
                    any = true;
                }
            }
            return any;
        }
    }

    /** Windows whose agent rows are kept; rows of other windows only tell an agent's activity. */
    private final Set<String> keptWindows;

    public FleetState(String bandView, String counterView) {
        this(bandView, counterView, null);
    }

    /**
     * @param agentWindows the windows of the per-agent gauges: with the band's and the counters',
     *     the only agent rows kept (null: all). With fifty thousand agents, rows of every window
     *     were most of the heap.
     */
    public FleetState(String bandView, String counterView, Set<String> agentWindows) {
        this.bandView = bandView;
        this.counterView = counterView;
        if (agentWindows == null) {
            this.keptWindows = null;
        } else {
            Set<String> kept = new HashSet<>(agentWindows);
            kept.add(bandView);
            kept.add(counterView);
            this.keptWindows = Set.copyOf(kept);
        }
    }

    /** An agent's key: its id, then its fleet, joined by a character no id may hold. */
    public static String key(String agentId, String fleet) {
        return agentId + '\u001f' + fleet;
    }

    /**
     * Takes a metrics row. A replayed row (read again at start-up) restores gauges but adds nothing
     * to the counters: they count what happened while this exporter ran. {@code readAtMs} is when
     * the row was read: the agent's activity when the row does not say (rows before schema v2).
     */
    public void onMetrics(AgentWindowMetrics row, long readAtMs, boolean replayed) {
        long activeAt = row.getLastEventAt() != null ? row.getLastEventAt().toEpochMilli() : readAtMs;
        if (row.getAgentId() == null) {
            fleets.compute(row.getFleet(), (name, old) -> {
                Map<String, AgentWindowMetrics> windows = old == null ? new HashMap<>() : new HashMap<>(old.byWindow());
                windows.merge(row.getWindow(), row, FleetState::later);
                return new Fleet(name, Map.copyOf(windows), Math.max(activeAt, old == null ? Long.MIN_VALUE : old.activeAtMs()));
            });
            transitions.computeIfAbsent(row.getFleet(), f -> new Transitions());
            version.incrementAndGet();
            return;
        }
        boolean kept = keptWindows == null || keptWindows.contains(row.getWindow());
        agents.compute(key(row.getAgentId(), row.getFleet()), (key, old) -> {
            if (!kept && old != null) {
                return activeAt <= old.activeAtMs() ? old : new Agent(key, old.agentId(), old.fleet(), old.byWindow(), old.band(), activeAt,
                        old.spendMicros(), old.autonomousSpendMicros(), old.valueMicros(), old.countedUpToMs(), old.labels(),
                        old.windowLabels());
            }
            Map<String, AgentWindowMetrics> windows = old == null ? new HashMap<>() : new HashMap<>(old.byWindow());
            if (kept) {
                windows.merge(row.getWindow(), row, FleetState::later);
            }
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
            Labels labels = old != null ? old.labels() : Labels.of("agent", row.getAgentId(), "fleet", row.getFleet());
            Map<String, Labels> windowLabels = old != null ? old.windowLabels() : Map.of();
            if (kept && !windowLabels.containsKey(row.getWindow())) {
                Map<String, Labels> more = new HashMap<>(windowLabels);
                more.put(row.getWindow(), Labels.of("agent", row.getAgentId(), "fleet", row.getFleet(), "window", row.getWindow()));
                windowLabels = Map.copyOf(more);
            }
            return new Agent(key, row.getAgentId(), row.getFleet(), Map.copyOf(windows), deciding.getBand(),
                    Math.max(activeAt, old == null ? Long.MIN_VALUE : old.activeAtMs()), spend, autonomous, value, countedUpTo, labels,
                    windowLabels);
        });
        transitions.computeIfAbsent(row.getFleet(), f -> new Transitions());
        version.incrementAndGet();
    }

    public void onTransition(BandTransition transition) {
        Transitions counts = transitions.computeIfAbsent(transition.getFleet(), f -> new Transitions());
        int index = transition.getFromBand().ordinal() * BANDS.length + transition.getToBand().ordinal();
        (counts.zeroShown ? counts.shown : counts.held).incrementAndGet(index);
        version.incrementAndGet();
    }

    /** Changes whenever what a scrape shows would: a row, a transition, an agent or fleet leaving. */
    public long version() {
        return version.get();
    }

    /**
     * The transition counters of {@code fleets} were rendered for a scrape: transitions held back
     * from them are shown from the next render on (which the version change asks for).
     */
    public void markShown(Iterable<String> fleets) {
        for (String fleet : fleets) {
            Transitions counts = transitions.get(fleet);
            if (counts != null && !counts.zeroShown) {
                counts.zeroShown = true;
                if (counts.holds()) {
                    version.incrementAndGet();
                }
            }
        }
    }

    /**
     * Forgets agents whose last event is before {@code cutoffMs}, and fleets left with no live agent
     * whose own rows say no event either: their series leave {@code /metrics}.
     */
    public void expire(long cutoffMs) {
        boolean removed = agents.values().removeIf(agent -> agent.activeAtMs() < cutoffMs);
        if (!removed && fleets.values().stream().allMatch(fleet -> fleet.activeAtMs() >= cutoffMs)) {
            return; // nothing left, and no fleet is past the cutoff: the common case, without building the live set
        }
        Set<String> live = new HashSet<>();
        agents.values().forEach(agent -> live.add(agent.fleet()));
        removed |= fleets.values().removeIf(fleet -> !live.contains(fleet.fleet()) && fleet.activeAtMs() < cutoffMs);
        live.addAll(fleets.keySet());
        removed |= transitions.keySet().removeIf(fleet -> !live.contains(fleet));
        if (removed) {
            version.incrementAndGet();
        }
    }

    /** The most recently active agents, at most {@code limit}, in label order (agent id, then fleet). */
    public List<Agent> agents(int limit) {
        List<Agent> all = new ArrayList<>(agents.values());
        if (all.size() > limit) {
            all.sort(Comparator.comparingLong(Agent::activeAtMs).reversed());
            all = new ArrayList<>(all.subList(0, limit));
            all.sort(Comparator.comparing(Agent::key));
        }
        return all;
    }

    public int agentCount() {
        return agents.size();
    }

    /** Fleets known: of an agent's or a fleet's rows, until they expire. */
    public int fleetCount() {
        return transitions.size();
    }

    public List<Fleet> fleets() {
        return new ArrayList<>(fleets.values());
    }

    /**
     * Fleet names with transitions counted (or seen at all), and the counts to show: every from/to
     * pair is reported for them. A fleet whose counters have not been shown yet shows zeros.
     */
    public Map<String, long[]> transitionCounts() {
        Map<String, long[]> counts = new HashMap<>();
        transitions.forEach((fleet, array) -> {
            if (array.zeroShown) {
                array.release();
            }
            long[] copy = new long[array.shown.length()];
            for (int i = 0; i < copy.length; i++) {
                copy[i] = array.shown.get(i);
            }
            counts.put(fleet, copy);
        });
        return counts;
    }

    private static AgentWindowMetrics later(AgentWindowMetrics a, AgentWindowMetrics b) {
        return b.getWindowEnd().isBefore(a.getWindowEnd()) ? a : b;
    }
}
