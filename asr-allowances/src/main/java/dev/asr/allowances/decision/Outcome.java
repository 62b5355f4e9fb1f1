package dev.asr.allowances.decision;

import dev.asr.allowances.ledger.CashView;
import java.time.Instant;

/**
 * A decision with what it was decided against: the cash view after it (an ALLOW's amount is in
 * {@code held}), and, for an ALLOW, when its hold expires (null otherwise).
 */
public record Outcome(String authorizationId, Decision decision, Reason reason, CashView view, Instant decidedAt, Instant holdExpiresAt) {}
