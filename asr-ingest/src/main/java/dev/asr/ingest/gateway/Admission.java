package dev.asr.ingest.gateway;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How many requests may be under way at once, from the moment a request is authenticated until it
 * is answered (its body still arriving included): at most {@code perToken} for one token and at
 * most {@code total} in all. A request past either cap is refused at once (429), so slow or
 * numerous clients of one token cannot hold what other tokens' requests need, and the bodies held
 * in memory stay below {@code total} times {@code asr.ingest.max-body}.
 */
final class Admission {

    sealed interface Decision permits Admitted, Refused {}

    /** A request let in: {@link #release()} once it is answered, whatever the answer (twice is harmless). */
    static final class Admitted implements Decision {
        private final Semaphore token;
        private final Semaphore total;
        private final AtomicBoolean released = new AtomicBoolean();

        private Admitted(Semaphore token, Semaphore total) {
            this.token = token;
            this.total = total;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                total.release();
                token.release();
            }
        }
    }

    /** A request not let in: the cap it met, named by the setting that raises it. */
    record Refused(String setting, int cap) implements Decision {}

    private final int perToken;
    private final int totalCap;
    private final Semaphore total;
    /** By token hash (not by grant: a reloaded tokens file makes new grants for the same tokens). */
    private final Map<ByteBuffer, Semaphore> byToken = new ConcurrentHashMap<>();

    Admission(int perToken, int total) {
        this.perToken = perToken;
        this.totalCap = total;
        this.total = new Semaphore(total);
    }

    Decision enter(Tokens.Grant grant) {
        Semaphore token = byToken.computeIfAbsent(ByteBuffer.wrap(grant.hash()), g -> new Semaphore(perToken));
        if (!token.tryAcquire()) {
            return new Refused("asr.ingest.max-requests-per-token", perToken);
        }
        if (!total.tryAcquire()) {
            token.release();
            return new Refused("asr.ingest.max-requests", totalCap);
        }
        return new Admitted(token, total);
    }

    /** Requests under way now. */
    int underWay() {
        return totalCap - total.availablePermits();
    }
}
