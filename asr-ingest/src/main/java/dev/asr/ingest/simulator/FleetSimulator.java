package dev.asr.ingest.simulator;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A fleet of simulated agents producing spend and outcome events at a steady rate until stopped.
 * Agents are dealt the {@link AgentKind}s round-robin; each step picks an agent at random.
 */
public final class FleetSimulator implements Runnable {

    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final FleetSettings settings;
    private final EventSink sink;
    private final Clock clock;
    private final List<SimulatedAgent> agents;
    private final SplittableRandom random;
    private final AtomicBoolean running = new AtomicBoolean(true);

    public FleetSimulator(FleetSettings settings, EventSink sink, Clock clock) {
        this.settings = settings;
        this.sink = sink;
        this.clock = clock;
        this.random = new SplittableRandom(settings.seed());
        List<SimulatedAgent> fleet = new ArrayList<>();
        AgentKind[] kinds = AgentKind.values();
        for (int i = 0; i < settings.agents(); i++) {
            AgentKind kind = kinds[i % kinds.length];
            String agentId = String.format("%s-%02d", kind.slug(), i / kinds.length + 1);
            fleet.add(new SimulatedAgent(agentId, kind, settings.runId(), random.split()));
        }
        if (settings.drifts()) {
            // Steps go to agents at random, so a drifting agent gets its share like any other.
            fleet.add(new SimulatedAgent("drift-degrading-01", AgentKind.COMPUTE_MANAGER, settings.runId(), random.split(),
                    Drift.DEGRADING, settings.driftPeriod()));
            fleet.add(new SimulatedAgent("drift-improving-01", AgentKind.COMPUTE_MANAGER, settings.runId(), random.split(),
                    Drift.IMPROVING, settings.driftPeriod()));
            fleet.add(new SimulatedAgent("drift-hovering-01", AgentKind.COMPUTE_MANAGER, settings.runId(), random.split(),
                    Drift.HOVERING, settings.driftPeriod()));
        }
        this.agents = Collections.unmodifiableList(fleet);
    }

    /** The agent ids with their kinds, in the order they were dealt. */
    public List<String> agentIds() {
        return agents.stream().map(SimulatedAgent::agentId).toList();
    }

    /** Each agent's fleet, by agent id, in the order they were dealt. */
    public Map<String, String> fleets() {
        Map<String, String> fleets = new LinkedHashMap<>();
        agents.forEach(agent -> fleets.put(agent.agentId(), agent.kind().fleet()));
        return fleets;
    }

    /** Takes {@code count} steps at once, all at {@code now}: for tests and bulk loads. */
    public void steps(int count, Instant now) {
        for (int i = 0; i < count; i++) {
            agents.get(random.nextInt(agents.size())).step(now, sink);
        }
    }

    /** Produces at the configured rate until {@link #stop()}. */
    @Override
    public void run() {
        long start = System.nanoTime();
        long emitted = 0;
        while (running.get()) {
            long elapsed = System.nanoTime() - start;
            long due = (long) (settings.eventsPerSecond() * elapsed / 1e9);
            if (due > emitted) {
                steps((int) Math.min(due - emitted, Integer.MAX_VALUE), clock.instant());
                emitted = due;
            }
            long sleep = TICK_NANOS - (System.nanoTime() - start - elapsed);
            if (sleep > 0) {
                try {
                    TimeUnit.NANOSECONDS.sleep(sleep);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    public void stop() {
        running.set(false);
    }
}
