package dev.asr.ingest.simulator;

import java.time.Duration;

/**
 * What fleet to simulate.
 *
 * @param agents how many agents; kinds are dealt round-robin, so 5 or more gives every kind
 * @param eventsPerSecond spend and outcome events per second across the fleet
 * @param seed seeds every random choice, so a seed replays the same fleet behaviour
 * @param runId part of every task and event id, so runs resumed on the same data never reuse one
 * @param drifts add three scripted agents whose bands move: one degrading from self-directed, one
 *     improving, one hovering at the 0.6 boundary
 * @param driftPeriod how long the degrading and improving agents take to cross the bands
 */
public record FleetSettings(int agents, double eventsPerSecond, long seed, String runId, boolean drifts, Duration driftPeriod) {

    public static final int DEFAULT_AGENTS = 36;
    public static final double DEFAULT_EVENTS_PER_SECOND = 200;

    public FleetSettings(int agents, double eventsPerSecond, long seed, String runId) {
        this(agents, eventsPerSecond, seed, runId, false, Duration.ofMinutes(20));
    }

    public FleetSettings {
        if (driftPeriod == null || driftPeriod.isZero() || driftPeriod.isNegative()) {
            throw new IllegalArgumentException("--drift-period must be positive");
        }
        if (agents < 1) {
            throw new IllegalArgumentException("--agents must be at least 1, got " + agents);
        }
        if (!(eventsPerSecond > 0) || Double.isInfinite(eventsPerSecond)) {
            throw new IllegalArgumentException("--rate must be a positive number of events per second, got " + eventsPerSecond);
        }
        if (runId == null || !runId.matches("[A-Za-z0-9]{1,16}")) {
            throw new IllegalArgumentException("run id '" + runId + "' must be 1-16 letters or digits");
        }
    }
}
