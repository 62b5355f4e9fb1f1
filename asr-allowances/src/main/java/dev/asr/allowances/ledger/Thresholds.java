package dev.asr.allowances.ledger;

import java.util.ArrayList;
import java.util.List;

/**
 * The announcements an allowance makes once per period (SPEC §9): THRESHOLD_CROSSED at 50, 80, 95
 * and 100 % of the limit used (spent plus held), and EXHAUSTED when nothing is left.
 */
public final class Thresholds {

    public static final int[] PERCENTS = {50, 80, 95, 100};
    /** The bit of {@link AgentAllowance#announced()} that says EXHAUSTED was announced this period. */
    public static final int EXHAUSTED_BIT = 1 << PERCENTS.length;

    private Thresholds() {}

    /** The percents of {@link #PERCENTS} reached in {@code view} and not announced yet (by {@code announced}), lowest first. */
    public static List<Integer> newlyCrossed(CashView view, int announced) {
        List<Integer> crossed = new ArrayList<>();
        long used = view.spentMicros() + view.heldMicros();
        if (used < view.spentMicros()) {
            used = Long.MAX_VALUE;
        }
        for (int i = 0; i < PERCENTS.length; i++) {
            if (used >= threshold(view.limitMicros(), PERCENTS[i]) && (announced & (1 << i)) == 0) {
                crossed.add(PERCENTS[i]);
            }
        }
        return crossed;
    }

    /** The smallest amount that is at least {@code percent} % of {@code limit}, exactly (no floating point). */
    static long threshold(long limit, int percent) {
        return limit / 100 * percent + (limit % 100 * percent + 99) / 100;
    }

    /** The bit of a percent of {@link #PERCENTS}. */
    public static int bit(int percent) {
        for (int i = 0; i < PERCENTS.length; i++) {
            if (PERCENTS[i] == percent) {
                return 1 << i;
            }
        }
        throw new IllegalArgumentException(percent + "% is not a threshold");
    }

    /** True when {@code view} is exhausted and that was not announced yet. */
    public static boolean newlyExhausted(CashView view, int announced) {
        return view.exhausted() && (announced & EXHAUSTED_BIT) == 0;
    }
}
