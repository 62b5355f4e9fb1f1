package dev.asr.streams.ledger;

/**
 * How a task settled, remembered after it leaves the open tasks: when ({@code settledAt}, event
 * time: the outcome's, or the deadline of a timeout), the bucket its figures went to, and whether
 * it was autonomous.
 *
 * <p>Until that bucket closes the task's figures may still grow (SPEC §4 v2, arrival order does not
 * change a figure): spend stamped at or before the settlement that arrives after the outcome still
 * counts to the task.
 */
public record Settlement(long settledAt, long bucketStart, boolean autonomous) {

    /** True when spend stamped {@code at} still counts to this task: its bucket is open and the spend came before the settlement. */
    public boolean takes(long at, long earliestOpenBucket) {
        return bucketStart >= earliestOpenBucket && at <= settledAt;
    }
}
