package dev.asr.allowances.decision;

/** What an authorization request gets (SPEC §9). */
public enum Decision {
    /** Spend it: the amount is held for the spend until the hold expires. */
    ALLOW,
    /** A person must approve it first: nothing is held. */
    REVIEW,
    /** Do not spend it. */
    DENY
}
