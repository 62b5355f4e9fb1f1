package dev.asr.allowances.decision;

import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Authorization ids for requests that bring none: time-ordered UUIDs (version 7 of RFC 9562: 48
 * bits of Unix milliseconds, then a counter within the millisecond, then 62 random bits), so ids
 * made one after another sort one after another, as strings too (fixed-width lowercase hex).
 *
 * <p>Why the order matters: an agent's open holds are a persistent tree ordered by id
 * ({@code ledger/Holds}). A random id lands anywhere and its insertion copies a path from the
 * root that lives until the next insertions replace it, which the garbage collector copies at
 * every young collection in between; an id above all others lands on the tree's right edge, where
 * the next insertion replaces the copies at once. Unique across gateways and restarts as UUIDs are
 * (the random bits come from {@link UUID#randomUUID()}); strictly increasing within one process.
 */
public final class AuthorizationIds {

    private static final int COUNTER_BITS = 12;

    /** The last id's milliseconds and counter, as {@code millis << 12 | counter}. */
    private static final AtomicLong LAST = new AtomicLong();

    private AuthorizationIds() {}

    /** A new id, greater than every id this process made before. */
    public static String next() {
        return next(System.currentTimeMillis());
    }

    static String next(long nowMillis) {
        long stamp = LAST.updateAndGet(last -> Math.max(last + 1, nowMillis << COUNTER_BITS));
        long millis = stamp >>> COUNTER_BITS;
        long counter = stamp & ((1 << COUNTER_BITS) - 1);
        long high = (millis << 16) | 0x7000L | counter;
        long low = (UUID.randomUUID().getLeastSignificantBits() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(high, low).toString();
    }
}
