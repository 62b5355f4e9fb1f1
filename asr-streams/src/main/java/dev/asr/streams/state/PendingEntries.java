package dev.asr.streams.state;

import java.util.Arrays;

/**
 * {@link SeenStore}'s entries written since the last commit: kept in arrival order, and found by
 * key through an open-addressing table on the 64-bit hash already computed for the filter, so
 * taking an entry costs no object beyond its key (the profile showed a hash map of entries as the
 * store's largest cost).
 */
final class PendingEntries {

    private byte[][] keys = new byte[1024][];
    private byte[][] values = new byte[1024][];
    private long[] hashes = new long[1024];
    private long[] epochs = new long[1024];
    private int size;
    /** Slots hold an entry's index + 1; 0 is empty. Kept at most half full. */
    private int[] table = new int[2048];

    int size() {
        return size;
    }

    byte[] key(int i) {
        return keys[i];
    }

    byte[] value(int i) {
        return values[i];
    }

    long epoch(int i) {
        return epochs[i];
    }

    /** The value written under {@code key} since the last commit, or null. */
    byte[] get(byte[] key, long hash) {
        int mask = table.length - 1;
        for (int slot = (int) hash & mask; table[slot] != 0; slot = (slot + 1) & mask) {
            int i = table[slot] - 1;
            if (hashes[i] == hash && Arrays.equals(keys[i], key)) {
                return values[i];
            }
        }
        return null;
    }

    /** Adds an entry, or replaces the value of one under the same key (its place in the order kept). */
    void put(byte[] key, long hash, byte[] value, long epoch) {
        int mask = table.length - 1;
        int slot = (int) hash & mask;
        for (; table[slot] != 0; slot = (slot + 1) & mask) {
            int i = table[slot] - 1;
            if (hashes[i] == hash && Arrays.equals(keys[i], key)) {
                values[i] = value;
                return;
            }
        }
        if (size == keys.length) {
            keys = Arrays.copyOf(keys, size * 2);
            values = Arrays.copyOf(values, size * 2);
            hashes = Arrays.copyOf(hashes, size * 2);
            epochs = Arrays.copyOf(epochs, size * 2);
        }
        keys[size] = key;
        values[size] = value;
        hashes[size] = hash;
        epochs[size] = epoch;
        size++;
        table[slot] = size;
        if (size * 2 > table.length) {
            rehash(table.length * 2);
        }
    }

    void clear() {
        Arrays.fill(keys, 0, size, null);
        Arrays.fill(values, 0, size, null);
        Arrays.fill(table, 0);
        size = 0;
    }

    private void rehash(int slots) {
        table = new int[slots];
        int mask = slots - 1;
        for (int i = 0; i < size; i++) {
            int slot = (int) hashes[i] & mask;
            while (table[slot] != 0) {
                slot = (slot + 1) & mask;
            }
            table[slot] = i + 1;
        }
    }
}
