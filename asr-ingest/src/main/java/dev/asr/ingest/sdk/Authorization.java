package dev.asr.ingest.sdk;

import java.time.Instant;

/**
 * The answer to "may this agent spend this much now?" ({@code POST /v1/authorize}, contract §9).
 * Spend it only when {@link #allowed()}; report the spend with this authorization (for example
 * {@link TaskReport#transaction(long, Authorization)}) so it replaces the hold, or {@link
 * Authorizer#release} it when the spend does not happen.
 *
 * @param decision {@code ALLOW}, {@code REVIEW} (a person decides) or {@code DENY}
 * @param reason why: {@code within-allowance}, {@code over-max-spend}, {@code over-remaining},
 *     {@code propose-only}, {@code over-review-threshold}, {@code invalid-request}
 * @param band the agent's band the decision was made in
 * @param holdExpiresAt until when an ALLOW's amount is held for the spend (null otherwise)
 */
public record Authorization(String authorizationId, String fleet, String agentId, long amountMicros, String decision, String reason,
        String band, long limitMicros, long spentMicros, long heldMicros, long remainingMicros, Instant holdExpiresAt) {

    public boolean allowed() {
        return decision.equals("ALLOW");
    }
}
