package dev.asr.allowances.policy;

/**
 * What one band may spend (SPEC §9). Money in micros of the deployment's currency.
 *
 * @param limitMicros spend allowed per period
 * @param period the UTC calendar period the limit is spent over
 * @param maxSpendMicros the largest single spend: a larger one is denied
 * @param reviewAboveMicros a larger spend needs a person's approval
 * @param mode {@link Mode#PROPOSE_ONLY}: every spend needs a person's approval
 */
public record BandAllowance(long limitMicros, Period period, long maxSpendMicros, long reviewAboveMicros, Mode mode) {

    public BandAllowance {
        if (limitMicros < 0 || maxSpendMicros < 0 || reviewAboveMicros < 0) {
            throw new IllegalArgumentException("limit, max-spend and review-above must not be negative (limit " + limitMicros
                    + ", max-spend " + maxSpendMicros + ", review-above " + reviewAboveMicros + " micros)");
        }
    }
}
