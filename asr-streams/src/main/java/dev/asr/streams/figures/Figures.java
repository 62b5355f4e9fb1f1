package dev.asr.streams.figures;

import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendKind;
import java.util.Arrays;

/**
 * One set of raw sums ({@link Figure}) for one agent or fleet over one bucket or view. Sums add and
 * subtract exactly, so a view is the exact sum of its buckets however often they enter and leave.
 *
 * <p>No sum overflows silently: a sum that would pass the range of a long stays at its bound and
 * the operation reports it (its return value); callers count that where an operator sees it. With
 * SPEC's per-event bounds it takes thousands of billion-unit events in one window to get there.
 */
public final class Figures {

    private final long[] sums;

    public Figures() {
        this.sums = new long[Figure.COUNT];
    }

    private Figures(long[] sums) {
        this.sums = sums;
    }

    /** The sums in {@link Figure} order; shorter arrays (state written before a figure existed) read as 0 for the rest. */
    public static Figures of(long[] sums) {
        return new Figures(Arrays.copyOf(sums, Figure.COUNT));
    }

    public long get(Figure figure) {
        return sums[figure.ordinal()];
    }

    /** Adds {@code amount} to one sum; false when it saturated. */
    public boolean add(Figure figure, long amount) {
        int i = figure.ordinal();
        long before = sums[i];
        long sum = before + amount;
        if (((before ^ sum) & (amount ^ sum)) < 0) {
            sums[i] = amount > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
            return false;
        }
        sums[i] = sum;
        return true;
    }

    /** {@code a + b}, held at the bounds of a long instead of wrapping round. */
    public static long sum(long a, long b) {
        long sum = a + b;
        if (((a ^ sum) & (b ^ sum)) < 0) {
            return b > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
        }
        return sum;
    }

    /** Adds every sum of {@code other}; false when any saturated. */
    public boolean plus(Figures other) {
        boolean exact = true;
        for (Figure figure : Figure.ALL) {
            exact &= add(figure, other.sums[figure.ordinal()]);
        }
        return exact;
    }

    /** Subtracts every sum of {@code other}; false when any saturated. */
    public boolean minus(Figures other) {
        boolean exact = true;
        for (Figure figure : Figure.ALL) {
            long amount = other.sums[figure.ordinal()];
            exact &= amount == Long.MIN_VALUE ? add(figure, Long.MAX_VALUE) && add(figure, 1) : add(figure, -amount);
        }
        return exact;
    }

    /**
     * One action's spend counted into the ASR denominator: its cost, its tokens, one action, and
     * the idle (IDLE, OVERHEAD) or human (HUMAN) share by kind. False when a sum saturated.
     */
    public boolean addAction(SpendKind kind, long cost, long inputTokens, long outputTokens) {
        boolean exact = add(Figure.SPEND, cost) & add(Figure.ACTIONS, 1) & add(Figure.INPUT_TOKENS, inputTokens)
                & add(Figure.OUTPUT_TOKENS, outputTokens);
        if (kind == SpendKind.IDLE || kind == SpendKind.OVERHEAD) {
            exact &= add(Figure.IDLE_SPEND, cost);
        } else if (kind == SpendKind.HUMAN) {
            exact &= add(Figure.HUMAN_SPEND, cost);
        }
        return exact;
    }

    /**
     * One settled task: its sums ({@code task}: spend, tokens, actions, idle and human spend), one
     * settled task by status ({@code null}: TIMED_OUT), its value and interventions; autonomous
     * (SUCCEEDED, no human stepped in) adds its spend and value to the numerators too.
     */
    public boolean addSettled(Figures task, OutcomeStatus status, long value, long interventions) {
        boolean exact = plus(task) & add(Figure.SETTLED_TASKS, 1) & add(Figure.VALUE, value)
                & add(Figure.HUMAN_INTERVENTIONS, interventions);
        if (status == null) {
            return exact & add(Figure.TIMED_OUT_TASKS, 1);
        }
        exact &= add(switch (status) {
            case SUCCEEDED -> Figure.SUCCEEDED_TASKS;
            case FAILED -> Figure.FAILED_TASKS;
            case ABANDONED -> Figure.ABANDONED_TASKS;
        }, 1);
        if (isAutonomous(status, interventions)) {
            exact &= add(Figure.AUTONOMOUS_TASKS, 1) & add(Figure.AUTONOMOUS_SPEND, task.get(Figure.SPEND))
                    & add(Figure.AUTONOMOUS_VALUE, value);
        }
        return exact;
    }

    /** SPEC §1: a settled task is autonomous when it SUCCEEDED and no human stepped in. */
    public static boolean isAutonomous(OutcomeStatus status, long interventions) {
        return status == OutcomeStatus.SUCCEEDED && interventions == 0;
    }

    /** True when nothing at all happened: every sum is 0. */
    public boolean isEmpty() {
        for (long sum : sums) {
            if (sum != 0) {
                return false;
            }
        }
        return true;
    }

    public Figures copy() {
        return new Figures(sums.clone());
    }

    /** The sums in {@link Figure} order (a copy). */
    public long[] toArray() {
        return sums.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Figures other && Arrays.equals(sums, other.sums);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sums);
    }

    @Override
    public String toString() {
        StringBuilder out = new StringBuilder("Figures[");
        for (Figure figure : Figure.ALL) {
            if (sums[figure.ordinal()] != 0) {
                out.append(out.length() > 8 ? ", " : "").append(figure.field()).append('=').append(sums[figure.ordinal()]);
            }
        }
        return out.append(']').toString();
    }
}
