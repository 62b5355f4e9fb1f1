package dev.asr.streams.bands;

/**
 * Where the bands start and how much evidence a rating needs.
 *
 * @param assistedFrom ASR at which ASSISTED starts (REACTIVE below it); default 0.2
 * @param selfDirectedFrom ASR at which SELF_DIRECTED starts; default 0.6
 * @param hysteresis how far past a boundary ASR must go before a rated agent crosses it; default 0.05
 * @param minTasks fewest settled tasks in the deciding window for any rating; default 5
 */
public record BandThresholds(double assistedFrom, double selfDirectedFrom, double hysteresis, long minTasks) {

    public static final BandThresholds DEFAULTS = new BandThresholds(0.2, 0.6, 0.05, 5);

    public BandThresholds {
        if (!(assistedFrom > 0 && assistedFrom < selfDirectedFrom && selfDirectedFrom <= 1)) {
            throw new IllegalArgumentException("band thresholds must satisfy 0 < assisted-from (" + assistedFrom
                    + ") < self-directed-from (" + selfDirectedFrom + ") <= 1");
        }
        if (!(hysteresis >= 0 && hysteresis < (selfDirectedFrom - assistedFrom) / 2 && hysteresis < assistedFrom)) {
            throw new IllegalArgumentException("band hysteresis " + hysteresis + " must be >= 0 and smaller than half the"
                    + " ASSISTED band (" + (selfDirectedFrom - assistedFrom) / 2 + ") and than assisted-from (" + assistedFrom + ")");
        }
        if (minTasks < 1) {
            throw new IllegalArgumentException("band min-tasks must be at least 1, got " + minTasks);
        }
    }
}
