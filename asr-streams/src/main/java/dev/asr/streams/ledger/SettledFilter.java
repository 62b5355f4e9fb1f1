package dev.asr.streams.ledger;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Which tasks may have settled recently: Bloom filters in front of the settled-task store, so the
 * first spend of a new task (most tasks) skips that store's time-range fetch, which opens one
 * RocksDB iterator per segment.
 *
 * <p>Never a false negative: every key added is reported until its generation is dropped, and a
 * generation is dropped only when all it holds is older than the time asked for. A false positive
 * (about 1 in 100 for each generation held) costs the fetch the filter saves otherwise. Derived
 * state: rebuilt from the store when the processor starts, never logged.
 *
 * <p>Generations follow event time: a new one starts when the current one is full or spans
 * {@code span}; it has room for twice the keys the one before held (up to {@link #MAX_KEYS}), so a
 * busy partition checks a handful of filters and a quiet one holds a few kilobytes. Memory: 2 to 4
 * bytes per task settled within the retention (10 to 16 bits per key, rooms up to half empty).
 */
public final class SettledFilter {

    private static final int BITS_PER_KEY = 10;
    private static final int HASHES = 7;
    static final int MIN_KEYS = 1 << 12;
    static final int MAX_KEYS = 1 << 22;

    private final long span;
    private final Deque<Generation> generations = new ArrayDeque<>();

    /** @param span the event time one generation covers at most, e.g. a quarter of the retention */
    public SettledFilter(long span) {
        if (span <= 0) {
            throw new IllegalArgumentException("span must be positive, got " + span);
        }
        this.span = span;
    }

    public void add(String key, long time) {
        Generation current = generations.peekLast();
        if (current == null || current.full() || time >= current.startTime + span) {
            current = new Generation(nextCapacity(current), time);
            generations.addLast(current);
        }
        current.add(hash(key), time);
    }

    /** Twice the last generation's when it filled up, else room for twice what it held. */
    private static int nextCapacity(Generation last) {
        if (last == null) {
            return MIN_KEYS;
        }
        long wanted = last.full() ? 2L * last.capacity : 2L * Integer.highestOneBit(Math.max(1, last.count));
        return (int) Math.max(MIN_KEYS, Math.min(MAX_KEYS, wanted));
    }

    /** False when the key was certainly not added since the last {@link #dropBefore}. */
    public boolean mightContain(String key) {
        if (generations.isEmpty()) {
            return false;
        }
        long hash = hash(key);
        for (Generation generation : generations) {
            if (generation.mightContain(hash)) {
                return true;
            }
        }
        return false;
    }

    /** Forgets the generations whose every key was added before {@code time}. */
    public void dropBefore(long time) {
        generations.removeIf(generation -> generation.maxTime < time);
    }

    public void clear() {
        generations.clear();
    }

    /** Generations held (for tests and sizing). */
    int generations() {
        return generations.size();
    }

    /** 64 bits from the key's characters: FNV-1a, then the MurmurHash3 finalizer to spread them. */
    static long hash(String key) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < key.length(); i++) {
            h ^= key.charAt(i);
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static final class Generation {
        final int capacity;
        final long[] bits;
        final long mask;
        /** The time of the first key: the generation covers {@code span} from it. */
        final long startTime;
        /** The latest time of any key: the generation may go once this is past. */
        long maxTime;
        int count;

        Generation(int capacity, long time) {
            this.capacity = capacity;
            // A power of two of bits at or above capacity * BITS_PER_KEY.
            long size = Long.highestOneBit((long) capacity * BITS_PER_KEY - 1) << 1;
            this.bits = new long[(int) (size >>> 6)];
            this.mask = size - 1;
            this.startTime = time;
            this.maxTime = time;
        }

        boolean full() {
            return count >= capacity;
        }

        void add(long hash, long time) {
            int h1 = (int) hash;
            int h2 = (int) (hash >>> 32);
            for (int i = 0; i < HASHES; i++) {
                long bit = (h1 + (long) i * h2) & mask;
                bits[(int) (bit >>> 6)] |= 1L << bit;
            }
            count++;
            maxTime = Math.max(maxTime, time);
        }

        boolean mightContain(long hash) {
            int h1 = (int) hash;
            int h2 = (int) (hash >>> 32);
            for (int i = 0; i < HASHES; i++) {
                long bit = (h1 + (long) i * h2) & mask;
                if ((bits[(int) (bit >>> 6)] & (1L << bit)) == 0) {
                    return false;
                }
            }
            return true;
        }
    }
}
