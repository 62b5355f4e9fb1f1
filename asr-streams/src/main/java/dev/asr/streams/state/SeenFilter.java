package dev.asr.streams.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Bloom filters in front of {@link SeenStore}'s index, one chain per epoch, so a key that was never
 * stored (the first sight of an event id, the first spend of a task: almost every lookup) costs a
 * few memory probes instead of a store read.
 *
 * <p>Never a false negative, so de-duplication stays exact: every key added is reported (with its
 * epoch) until that epoch is dropped, and a "maybe" is always confirmed by the store. A false
 * positive (about 1 in 100 per filter) costs the store read the filter saves otherwise. Derived
 * state: rebuilt from the store when the processor starts, never logged.
 *
 * <p>Each filter is <em>blocked</em>: all of a key's bits lie in one 64-byte block, so a lookup
 * costs one cache miss per filter, not one per bit (the profile showed the bit probes of large
 * filters as the costliest part of a lookup). Memory: 10 to 80 bits per key held (each filter has
 * room for eight times what the one before it in the epoch held, from 65,536 up to 16M keys, so a
 * lookup probes few filters).
 */
final class SeenFilter {

    private static final int BITS_PER_KEY = 10;
    private static final int HASHES = 7;
    /** Bits of one block (8 longs, a cache line), and the bits of a probe that pick one of them. */
    private static final int BLOCK_BITS = 512;
    private static final int PROBE_BITS = 9;
    static final int MIN_KEYS = 1 << 16;
    static final int MAX_KEYS = 1 << 24;

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
            last = new Filter(last == null ? MIN_KEYS : (int) Math.min(MAX_KEYS, 8L * last.capacity));
            chain.add(last);
        }
        last.add(hash);
    }

    /** The index of {@code epoch}, added in order if new. */
    private int indexOf(long epoch) {
        int at = Arrays.binarySearch(epochs, epoch);
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

    /** False when the key was certainly never added (or its epoch was dropped). */
    boolean mightContain(long hash) {
        for (int e = epochs.length - 1; e >= 0; e--) {
            List<Filter> chain = chains.get(e);
            for (int f = chain.size() - 1; f >= 0; f--) {
                if (chain.get(f).mightContain(hash)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Forgets the filters of epochs before {@code epoch}. */
    void dropBefore(long epoch) {
        int keep = 0;
        while (keep < epochs.length && epochs[keep] < epoch) {
            keep++;
        }
        if (keep > 0) {
            epochs = Arrays.copyOfRange(epochs, keep, epochs.length);
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
        final int blockMask;
        int count;

        Filter(int capacity) {
            this.capacity = capacity;
            // A power of two of blocks holding at least capacity * BITS_PER_KEY bits.
            int blocks = Integer.highestOneBit(Math.max(1, capacity * BITS_PER_KEY / BLOCK_BITS - 1)) << 1;
            this.bits = new long[blocks * (BLOCK_BITS / Long.SIZE)];
            this.blockMask = blocks - 1;
        }

        boolean full() {
            return count >= capacity;
        }

        void add(long hash) {
            int base = ((int) (hash >>> 32) & blockMask) * (BLOCK_BITS / Long.SIZE);
            long probes = hash * 0x9E3779B97F4A7C15L;
            for (int i = 0; i < HASHES; i++) {
                int bit = (int) (probes & (BLOCK_BITS - 1));
                bits[base + (bit >>> 6)] |= 1L << bit;
                probes >>>= PROBE_BITS;
            }
            count++;
        }

        boolean mightContain(long hash) {
            int base = ((int) (hash >>> 32) & blockMask) * (BLOCK_BITS / Long.SIZE);
            long probes = hash * 0x9E3779B97F4A7C15L;
            for (int i = 0; i < HASHES; i++) {
                int bit = (int) (probes & (BLOCK_BITS - 1));
                if ((bits[base + (bit >>> 6)] & (1L << bit)) == 0) {
                    return false;
                }
                probes >>>= PROBE_BITS;
            }
            return true;
        }
    }
}
