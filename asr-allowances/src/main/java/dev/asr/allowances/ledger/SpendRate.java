package dev.asr.allowances.ledger;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;

/**
 * An agent's recent spend per minute of event time, for its burn rates (SPEC §9): how fast it
 * spends over the last 5 minutes, 30 minutes, hour and six hours, and when, at that pace, its
 * allowance runs out. Keeps at most {@link #KEPT} minutes, and only minutes that had spend, so an
 * idle agent costs nearly nothing. Mutable: its owner (the agent's lock) serializes access.
 */
public final class SpendRate {

    /** The windows the burn rates are given for, shortest first. */
    public static final Duration[] WINDOWS = {Duration.ofMinutes(5), Duration.ofMinutes(30), Duration.ofHours(1), Duration.ofHours(6)};
    /** Minutes kept: the longest window. */
    public static final int KEPT = 360;

    /** Minutes (epoch minute) with spend, ascending, and their spend; {@code size} of them in use. */
    private long[] minutes = new long[4];
    private long[] micros = new long[4];
    private int size;

    /** Spend of {@code amountMicros} that occurred at {@code occurredAt}; older than the longest window before {@code now}, it is history. */
    public void add(long amountMicros, Instant occurredAt, Instant now) {
        long minute = Math.floorDiv(occurredAt.getEpochSecond(), 60);
        forgetBefore(now);
        if (amountMicros <= 0 || minute <= oldestKept(now)) {
            return;
        }
        int at = Arrays.binarySearch(minutes, 0, size, minute);
        if (at >= 0) {
            micros[at] = saturatedAdd(micros[at], amountMicros);
            return;
        }
        int insert = -at - 1;
        if (size == minutes.length) {
            minutes = Arrays.copyOf(minutes, size * 2);
            micros = Arrays.copyOf(micros, size * 2);
        }
        System.arraycopy(minutes, insert, minutes, insert + 1, size - insert);
        System.arraycopy(micros, insert, micros, insert + 1, size - insert);
        minutes[insert] = minute;
        micros[insert] = amountMicros;
        size++;
    }

    /**
     * Micros per second spent over the {@code window} ending at {@code now}: the spend of the
     * minutes in it (the current minute included, and spend stamped ahead of {@code now}), divided
     * by the window's length.
     */
    public double microsPerSecond(Duration window, Instant now) {
        long first = Math.floorDiv(now.getEpochSecond(), 60) - window.toMinutes() + 1;
        long sum = 0;
        for (int i = size - 1; i >= 0 && minutes[i] >= first; i--) {
            sum = saturatedAdd(sum, micros[i]);
        }
        return sum / (double) window.toSeconds();
    }

    /**
     * Seconds until {@code remainingMicros} are spent at the fastest of the short (5 min) and the
     * hour's burn rate; 0 when nothing remains, {@code +Infinity} when the agent does not spend.
     */
    public double secondsToExhaustion(long remainingMicros, Instant now) {
        if (remainingMicros <= 0) {
            return 0;
        }
        double rate = Math.max(microsPerSecond(WINDOWS[0], now), microsPerSecond(Duration.ofHours(1), now));
        return rate == 0 ? Double.POSITIVE_INFINITY : remainingMicros / rate;
    }

    /** Minutes kept now (for the state-size test). */
    public int minutesKept() {
        return size;
    }

    private static long oldestKept(Instant now) {
        return Math.floorDiv(now.getEpochSecond(), 60) - KEPT;
    }

    private void forgetBefore(Instant now) {
        long oldest = oldestKept(now);
        int drop = 0;
        while (drop < size && minutes[drop] <= oldest) {
            drop++;
        }
        if (drop > 0) {
            System.arraycopy(minutes, drop, minutes, 0, size - drop);
            System.arraycopy(micros, drop, micros, 0, size - drop);
            size -= drop;
        }
    }

    private static long saturatedAdd(long a, long b) {
        long sum = a + b;
        return ((a ^ sum) & (b ^ sum)) < 0 ? Long.MAX_VALUE : sum;
    }
}
