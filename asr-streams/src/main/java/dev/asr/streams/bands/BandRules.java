package dev.asr.streams.bands;

import dev.asr.event.Band;
import dev.asr.event.Direction;

/**
 * The band of an agent, as a pure function of its previous band, the evidence of the deciding
 * window and the thresholds. No clock, no state: the caller keeps the previous band.
 *
 * <p>Rules, in order:
 *
 * <ol>
 *   <li>Fewer than {@code minTasks} settled tasks, or zero spend: UNRATED.
 *   <li>From UNRATED: the band the ASR falls in by the plain thresholds.
 *   <li>From a rated band B: up only when ASR reaches the next band's start + hysteresis, then to
 *       the highest band whose start + hysteresis the ASR reaches; down only when ASR falls below
 *       B's start − hysteresis, then to the highest band whose start − hysteresis the ASR still
 *       reaches; otherwise B stays.
 * </ol>
 */
public final class BandRules {

    /** Boundaries are sums like 0.2 + 0.05; an ASR equal to one in decimal counts as reaching it. */
    private static final double TOLERANCE = 1e-12;

    private BandRules() {}

    public static Band evaluate(Band previous, Evidence evidence, BandThresholds thresholds) {
        Double asr = evidence.asr();
        if (asr == null || evidence.settledTasks() < thresholds.minTasks()) {
            return Band.UNRATED;
        }
        if (previous == Band.UNRATED) {
            return plain(asr, thresholds);
        }
        double h = thresholds.hysteresis();
        if (previous != Band.SELF_DIRECTED && reaches(asr, start(next(previous), thresholds) + h)) {
            Band band = previous;
            while (band != Band.SELF_DIRECTED && reaches(asr, start(next(band), thresholds) + h)) {
                band = next(band);
            }
            return band;
        }
        if (previous != Band.REACTIVE && !reaches(asr, start(previous, thresholds) - h)) {
            Band band = previous;
            while (band != Band.REACTIVE && !reaches(asr, start(band, thresholds) - h)) {
                band = previous(band);
            }
            return band;
        }
        return previous;
    }

    /**
     * A band with no history: UNRATED without enough evidence, else the band by the plain
     * thresholds. Fleet rows are rated this way (fleets have no hysteresis of their own; agents do).
     */
    public static Band withoutHistory(Evidence evidence, BandThresholds thresholds) {
        return evaluate(Band.UNRATED, evidence, thresholds);
    }

    /** The band by the plain thresholds, no hysteresis. */
    public static Band plain(double asr, BandThresholds thresholds) {
        if (reaches(asr, thresholds.selfDirectedFrom())) {
            return Band.SELF_DIRECTED;
        }
        return reaches(asr, thresholds.assistedFrom()) ? Band.ASSISTED : Band.REACTIVE;
    }

    private static boolean reaches(double asr, double boundary) {
        return asr >= boundary - TOLERANCE;
    }

    public static Direction direction(Band from, Band to) {
        if (from == Band.UNRATED) {
            return Direction.RATED;
        }
        if (to == Band.UNRATED) {
            return Direction.UNRATED;
        }
        return to.ordinal() > from.ordinal() ? Direction.UP : Direction.DOWN;
    }

    private static double start(Band band, BandThresholds thresholds) {
        return switch (band) {
            case SELF_DIRECTED -> thresholds.selfDirectedFrom();
            case ASSISTED -> thresholds.assistedFrom();
            default -> 0;
        };
    }

    private static Band next(Band band) {
        return band == Band.REACTIVE ? Band.ASSISTED : Band.SELF_DIRECTED;
    }

    private static Band previous(Band band) {
        return band == Band.SELF_DIRECTED ? Band.ASSISTED : Band.REACTIVE;
    }
}
