package dev.asr.streams.bands;

import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;
import dev.asr.streams.figures.Ratio;

/**
 * What a band decision rests on: the deciding window's ASR and how much evidence is behind it.
 * Agent and fleet rows, and band transitions, all take it from here.
 */
public record Evidence(long settledTasks, long spendMicros, long autonomousSpendMicros) {

    public static Evidence of(Figures window) {
        return new Evidence(window.get(Figure.SETTLED_TASKS), window.get(Figure.SPEND), window.get(Figure.AUTONOMOUS_SPEND));
    }

    /** autonomous spend / spend ({@link Ratio#ASR}), or null when the spend is zero. */
    public Double asr() {
        return spendMicros == 0 ? null : (double) autonomousSpendMicros / spendMicros;
    }
}
