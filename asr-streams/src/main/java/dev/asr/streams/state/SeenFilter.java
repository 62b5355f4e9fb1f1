package dev.asr.streams.state;

import java.util.ArrayList;
import java.util.List;

/**
 * Bloom filters in front of the {@link AsrStores#SEEN} store, one chain per epoch of that store, so
 * a key that was never stored (the first sight of an event id, the first spend of a task: almost
 * every lookup) costs a few hash probes instead of a store read per epoch.
 *
 * <p>Never a false negative, so de-duplication stays exact: every key added is reported (with its
 * epoch) until that epoch is dropped, and a "maybe" is always confirmed by the store. A false
 * positive (about 1 in 100 per filter) costs the store read the filter saves otherwise. Derived
 * state: rebuilt from the store when the processor starts, never logged.
 *
 * <p>Memory: 10 to 20 bits per key held (each filter has room for twice what the one before it in
 * the epoch held, from 4,096 up to 4M keys).
 */
final class SeenFilter {

    private static final int BITS_PER_KEY = 10;
    private static final int HASHES = 7;
    static final int MIN_KEYS = 1 << 12;
    static final int MAX_KEYS = 1 << 22;

    /** Epochs held, ascending, and each one's filters: a full filter is followed by one with room for twice as many keys. */
    private long[] epochs = new long[0];
    private List<List<Filter>> chains = new ArrayList<>();

    void add(long hash, long epoch) {
        int index = epochs.length - 1;
        if (index < 0 || epochs[index] != epoch) {
            index = indexOf(epoch);
        }
        List<Filter> chain = chains.get(index);
        Filter last = chain.isEmpty() ? null : chain.get(chain.size() - 1);
        if (last == null || last.full()) {
            last = new Filter(last == null ? MIN_KEYS : (int) Math.min(MAX_KEYS, 2L * last.capacity));
            chain.add(last);
        }
        last.add(hash);
    }

    /** The index of {@code epoch}, added in order if new. */
    private int indexOf(long epoch) {
        int at = java.util.Arrays.binarySearch(epochs, epoch);
        if (at >= 0) {
            return at;
        }
        int insert = -at - 1;
        long[] grown = new long[epochs.length + 1];
        System.arraycopy(epochs, 0, grown, 0, insert);
        grown[insert] = epoch;
        System.arraycopy(epochs, insert, grown, insert + 1, epochs.length - insert);
        epochs = grown;
        chains.add(insert, new ArrayList<>(2));
        return insert;
    }

    /**
     * The epochs whose filters may hold {@code hash}, newest first, at most {@code into.length};
     * returns how many were written.
     */
    int candidates(long hash, long[] into) {
        int found = 0;
        for (int e = epochs.length - 1; e >= 0 && found < into.length; e--) {
            List<Filter> chain = chains.get(e);
            for (int f = 0; f < chain.size(); f++) {
                if (chain.get(f).mightContain(hash)) {
                    into[found++] = epochs[e];
                    break;
                }
            }
        }
        return found;
    }

    /** Forgets the filters of epochs before {@code epoch}. */
    void dropBefore(long epoch) {
        int keep = 0;
        while (keep < epochs.length && epochs[keep] < epoch) {
            keep++;
        }
        if (keep > 0) {
            epochs = java.util.Arrays.copyOfRange(epochs, keep, epochs.length);
            chains = new ArrayList<>(chains.subList(keep, chains.size()));
        }
    }

    void clear() {
        epochs = new long[0];
        chains = new ArrayList<>();
    }

    /** Epochs held. */
    int epochs() {
        return epochs.length;
    }

    /** 64 bits from the key's bytes: FNV-1a, then the MurmurHash3 finalizer to spread them. */
    static long hash(byte[] key) {
        long h = 0xcbf29ce484222325L;
        for (byte b : key) {
            h ^= b;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    }

    private static final class Filter {
        final int capacity;
        final long[] bits;
        final long mask;
        int count;

        Filter(int capacity) {
            this.capacity = capacity;
            // A power of two of bits at or above capacity * BITS_PER_KEY.
            long size = Long.highestOneBit((long) capacity * BITS_PER_KEY - 1) << 1;
            this.bits = new long[(int) (size >>> 6)];
            this.mask = size - 1;
        }

        boolean full() {
            return count >= capacity;
        }

        void add(long hash) {
            int h1 = (int) hash;
            int h2 = (int) (hash >>> 32);
            for (int i = 0; i < HASHES; i++) {
                long bit = (h1 + (long) i * h2) & mask;
                bits[(int) (bit >>> 6)] |= 1L << bit;
            }
            count++;
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
