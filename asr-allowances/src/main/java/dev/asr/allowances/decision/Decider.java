package dev.asr.allowances.decision;

import dev.asr.allowances.ledger.AgentAllowance;
import dev.asr.allowances.ledger.CashView;
import dev.asr.allowances.ledger.Hold;
import dev.asr.allowances.policy.BandAllowance;
import dev.asr.allowances.policy.Mode;
import java.time.Duration;
import java.time.Instant;

/**
 * The decision rules of SPEC §9, as one pure function of the agent's state, its band's allowance,
 * the request and the time. In order: the state is brought to the period holding {@code now} and
 * expired holds are released; then DENY when the amount exceeds {@code max-spend}, or what
 * remains; REVIEW when the band only proposes, or the amount exceeds {@code review-above};
 * otherwise ALLOW, holding the amount for {@code holdTime}. Exactly the remaining amount is
 * allowed; one micro more is denied. Deciding one agent's requests one after another through this
 * function is what keeps concurrent ALLOWs within the remaining amount.
 */
public final class Decider {

    /** A decision and the state after it. */
    public record Decided(Outcome outcome, AgentAllowance state) {}

    private Decider() {}

    public static Decided decide(AgentAllowance state, BandAllowance allowance, AuthorizationRequest request, Instant now,
            Duration holdTime) {
        AgentAllowance current = state.at(now, allowance).withoutExpired(now);
        CashView view = current.view(allowance);
        long amount = request.amountMicros();
        if (amount <= 0) {
            return refuse(current, view, request, Decision.DENY, Reason.INVALID_REQUEST, now);
        }
        if (amount > allowance.maxSpendMicros()) {
            return refuse(current, view, request, Decision.DENY, Reason.OVER_MAX_SPEND, now);
        }
        if (amount > view.remainingMicros()) {
            return refuse(current, view, request, Decision.DENY, Reason.OVER_REMAINING, now);
        }
        if (allowance.mode() == Mode.PROPOSE_ONLY) {
            return refuse(current, view, request, Decision.REVIEW, Reason.PROPOSE_ONLY, now);
        }
        if (amount > allowance.reviewAboveMicros()) {
            return refuse(current, view, request, Decision.REVIEW, Reason.OVER_REVIEW_THRESHOLD, now);
        }
        Instant expires = now.plus(holdTime);
        AgentAllowance held = current.withHold(new Hold(request.authorizationId(), amount, expires));
        return new Decided(new Outcome(request.authorizationId(), Decision.ALLOW, Reason.WITHIN_ALLOWANCE, held.view(allowance), now,
                expires), held);
    }

    private static Decided refuse(AgentAllowance state, CashView view, AuthorizationRequest request, Decision decision, Reason reason,
            Instant now) {
        return new Decided(new Outcome(request.authorizationId(), decision, reason, view, now, null), state);
    }
}
