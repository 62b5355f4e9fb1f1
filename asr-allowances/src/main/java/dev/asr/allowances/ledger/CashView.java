package dev.asr.allowances.ledger;

import dev.asr.event.Band;
import java.time.Instant;

/**
 * An agent's allowance as of a moment (SPEC §9): its limit for the period it is in, what it spent
 * in it (at event time, every kind of spend), what open authorizations hold, and what is left.
 * {@code remaining} is never below zero: an agent over its limit (after a down-tier) has none.
 */
public record CashView(Band band, Instant periodStart, Instant periodEnd, long limitMicros, long spentMicros, long heldMicros) {

    public long remainingMicros() {
        return Math.max(0, limitMicros - spentMicros - heldMicros);
    }

    /** Spent and held, as a share of the limit (1 and more: nothing left). */
    public double used() {
        return limitMicros == 0 ? 1 : (double) (spentMicros + heldMicros) / limitMicros;
    }

    public boolean exhausted() {
        return remainingMicros() == 0;
    }
}
