package dev.asr.ingest.simulator;

import java.time.Duration;

/**
 * How a scripted agent's behaviour changes over the run, so that bands visibly move: over one
 * drift period a degrading agent goes from self-directed to reactive, an improving one the other
 * way, and a hovering one stays at the 0.6 boundary, where only hysteresis keeps its band still.
 */
public enum Drift {
    NONE,
    DEGRADING,
    IMPROVING,
    HOVERING;

    /** Success rate after {@code elapsed} of a {@code period}-long drift; {@code base} when not drifting. */
    double successRate(double base, Duration elapsed, Duration period) {
        double t = progress(elapsed, period);
        return switch (this) {
            case NONE -> base;
            case DEGRADING -> 0.95 - 0.6 * t;
            case IMPROVING -> 0.35 + 0.6 * t;
            case HOVERING -> 0.82;
        };
    }

    /** Chance that a human has to step into a task. */
    double humanRate(double base, Duration elapsed, Duration period) {
        double t = progress(elapsed, period);
        return switch (this) {
            case NONE -> base;
            case DEGRADING -> 0.02 + 0.6 * t;
            case IMPROVING -> 0.62 - 0.6 * t;
            case HOVERING -> 0.18;
        };
    }

    private static double progress(Duration elapsed, Duration period) {
        return Math.min(1.0, Math.max(0.0, (double) elapsed.toMillis() / period.toMillis()));
    }
}
