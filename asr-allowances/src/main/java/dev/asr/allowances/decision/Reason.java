package dev.asr.allowances.decision;

/** Why a decision is what it is; {@link #code()} is what the API and the metrics say. */
public enum Reason {
    /** ALLOW: within every limit of the band. */
    WITHIN_ALLOWANCE("within-allowance"),
    /** DENY: more than the band's largest single spend ({@code max-spend}). */
    OVER_MAX_SPEND("over-max-spend"),
    /** DENY: more than what is left of the period's limit after what was spent and is held. */
    OVER_REMAINING("over-remaining"),
    /** REVIEW: the band only proposes ({@code mode=propose-only}). */
    PROPOSE_ONLY("propose-only"),
    /** REVIEW: more than the band lets an agent spend without a person ({@code review-above}). */
    OVER_REVIEW_THRESHOLD("over-review-threshold"),
    /** DENY: the request is not one the rules can decide (an amount that is not positive). */
    INVALID_REQUEST("invalid-request");

    private final String code;

    Reason(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }
}
