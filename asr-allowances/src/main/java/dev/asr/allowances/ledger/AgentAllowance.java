package dev.asr.allowances.ledger;

import dev.asr.allowances.policy.BandAllowance;
import dev.asr.event.Band;
import java.time.Instant;

/**
 * One agent's spending state in its current period, as pure data (every change returns a new
 * value): its band, the period it is in, what it spent there at event time, its open holds, and
 * the thresholds already announced this period. The decision rules ({@code decision/}) read it;
 * spend events and band transitions move it.
 *
 * @param announced bits of {@link Thresholds#PERCENTS} already announced this period, and
 *     {@link Thresholds#EXHAUSTED_BIT}
 */
public record AgentAllowance(String fleet, String agentId, Band band, Instant periodStart, long spentMicros, Holds holds,
        int announced) {

    /** An agent not seen before: unrated (on probation), nothing spent, in the period holding {@code now}. */
    public static AgentAllowance fresh(String fleet, String agentId, BandAllowance allowance, Instant now) {
        return new AgentAllowance(fleet, agentId, Band.UNRATED, allowance.period().start(now), 0, Holds.NONE, 0);
    }

    public long heldMicros() {
        return holds.totalMicros();
    }

    /** The state in the period holding {@code now}: a new period starts with nothing spent and nothing announced; holds carry over. */
    public AgentAllowance at(Instant now, BandAllowance allowance) {
        Instant start = allowance.period().start(now);
        if (!start.isAfter(periodStart)) {
            return this;
        }
        return new AgentAllowance(fleet, agentId, band, start, 0, holds, 0);
    }

    /** Without the holds that expired by {@code now}. */
    public AgentAllowance withoutExpired(Instant now) {
        Holds open = holds.withoutExpired(now);
        return open == holds ? this : new AgentAllowance(fleet, agentId, band, periodStart, spentMicros, open, announced);
    }

    public AgentAllowance withHold(Hold hold) {
        return new AgentAllowance(fleet, agentId, band, periodStart, spentMicros, holds.with(hold), announced);
    }

    /** Without the hold of {@code authorizationId} (released early, or replaced by its spend); the same when there is none. */
    public AgentAllowance withoutHold(String authorizationId) {
        if (authorizationId == null) {
            return this;
        }
        Holds open = holds.without(authorizationId);
        return open == holds ? this : new AgentAllowance(fleet, agentId, band, periodStart, spentMicros, open, announced);
    }

    /**
     * A spend event: it replaces its authorization's hold (when it carries one) and counts in the
     * period its {@code occurredAt} falls in: a later period than the state's is moved to first
     * (as {@link #at}); spend of an earlier period is history and counts nowhere now.
     */
    public AgentAllowance withSpend(long amountMicros, Instant occurredAt, String authorizationId, BandAllowance allowance) {
        AgentAllowance released = at(occurredAt, allowance).withoutHold(authorizationId);
        if (!allowance.period().start(occurredAt).equals(released.periodStart)) {
            return released;
        }
        long spent = released.spentMicros + amountMicros;
        if (spent < released.spentMicros) {
            spent = Long.MAX_VALUE;
        }
        return new AgentAllowance(fleet, agentId, band, released.periodStart, spent, released.holds, released.announced);
    }

    /** The agent rated {@code next}: its allowance is the new band's from now on. */
    public AgentAllowance withBand(Band next) {
        return next == band ? this : new AgentAllowance(fleet, agentId, next, periodStart, spentMicros, holds, announced);
    }

    public AgentAllowance withAnnounced(int bits) {
        return new AgentAllowance(fleet, agentId, band, periodStart, spentMicros, holds, announced | bits);
    }

    /** The cash view under {@code allowance} (the band's, for this agent's fleet). */
    public CashView view(BandAllowance allowance) {
        return new CashView(band, periodStart, allowance.period().end(periodStart), allowance.limitMicros(), spentMicros, heldMicros());
    }
}
