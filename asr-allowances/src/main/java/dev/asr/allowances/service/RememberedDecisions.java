package dev.asr.allowances.service;

import dev.asr.allowances.decision.Outcome;
import java.time.Instant;
import java.util.Arrays;

/**
 * The decisions remembered for retries, across agents, oldest first: a retry of an
 * authorization id gets the decision it got before. Looked up by agent and authorization id in
 * O(1), forgotten oldest first in O(1) each.
 *
 * <p>Laid out for the garbage collector, because every ALLOW is remembered for an hour and a
 * decision's answer waits for the young collections it runs into. A map per agent (as this
 * was) writes each new decision into an old table and an old list entry at random places, and
 * G1 scans every such dirty card of the old generation at each young collection: at 2,000
 * decisions/s that scan was a third to a half of each 15-40 ms pause, and the pauses were the
 * benchmark's p99. Here the decisions go into one ring in arrival order (written one slot after
 * another: few cards) and the index is primitive arrays (no references: no cards at all).
 *
 * <p>Thread-safe: every method holds this object's lock, briefly.
 */
final class RememberedDecisions {

    private record Remembered(Object owner, Outcome outcome, int hash) {}

    private static final long EMPTY = -1;

    /** In arrival order: sequence number {@code s} sits at {@code ring[s & (ring.length - 1)]}, for s in [head, tail). */
    private Remembered[] ring = new Remembered[1024];
    private long head;
    private long tail;
    /** Open addressing, linear probing: the sequence number of each indexed decision, or EMPTY; its hash beside it. */
    private long[] slots = newSlots(2048);
    private int[] hashes = new int[2048];

    private static long[] newSlots(int size) {
        long[] slots = new long[size];
        Arrays.fill(slots, EMPTY);
        return slots;
    }

    private static int hash(Object owner, String authorizationId) {
        int h = System.identityHashCode(owner) * 31 + authorizationId.hashCode();
        h *= 0x9E3779B9;
        return h ^ (h >>> 16);
    }

    /** The decision {@code owner} (an agent) remembers for {@code authorizationId}, or null. */
    synchronized Outcome get(Object owner, String authorizationId) {
        int hash = hash(owner, authorizationId);
        int mask = slots.length - 1;
        for (int i = hash & mask; slots[i] != EMPTY; i = (i + 1) & mask) {
            if (hashes[i] == hash) {
                Remembered remembered = ring[(int) (slots[i] & (ring.length - 1))];
                if (remembered.owner == owner && remembered.outcome.authorizationId().equals(authorizationId)) {
                    return remembered.outcome;
                }
            }
        }
        return null;
    }

    /** Remembers {@code outcome} for {@code owner}; false (and nothing changes) when it remembers one for that id already. */
    synchronized boolean putIfAbsent(Object owner, Outcome outcome) {
        if (get(owner, outcome.authorizationId()) != null) {
            return false;
        }
        if (tail - head == ring.length) {
            growRing();
        }
        if ((tail - head + 1) * 2 > slots.length) {
            growIndex();
        }
        int hash = hash(owner, outcome.authorizationId());
        ring[(int) (tail & (ring.length - 1))] = new Remembered(owner, outcome, hash);
        index(tail, hash);
        tail++;
        return true;
    }

    /** Forgets the oldest decisions while there are more than {@code atMost}, or the oldest was decided before {@code before}. */
    synchronized void forget(Instant before, int atMost) {
        while (head < tail) {
            Remembered oldest = ring[(int) (head & (ring.length - 1))];
            if (tail - head <= atMost && !oldest.outcome.decidedAt().isBefore(before)) {
                return;
            }
            unindex(head, oldest.hash);
            ring[(int) (head & (ring.length - 1))] = null;
            head++;
        }
    }

    synchronized int size() {
        return (int) (tail - head);
    }

    private void index(long sequence, int hash) {
        int mask = slots.length - 1;
        int i = hash & mask;
        while (slots[i] != EMPTY) {
            i = (i + 1) & mask;
        }
        slots[i] = sequence;
        hashes[i] = hash;
    }

    /** Removes {@code sequence} from the index, shifting back the entries after it that probed past its slot. */
    private void unindex(long sequence, int hash) {
        int mask = slots.length - 1;
        int i = hash & mask;
        while (slots[i] != sequence) {
            i = (i + 1) & mask;
        }
        int gap = i;
        for (int j = (gap + 1) & mask; slots[j] != EMPTY; j = (j + 1) & mask) {
            int home = hashes[j] & mask;
            // The entry at j may fill the gap when its home is not in (gap, j] (cyclically).
            boolean homeInRange = gap <= j ? (home > gap && home <= j) : (home > gap || home <= j);
            if (!homeInRange) {
                slots[gap] = slots[j];
                hashes[gap] = hashes[j];
                gap = j;
            }
        }
        slots[gap] = EMPTY;
    }

    private void growRing() {
        Remembered[] grown = new Remembered[ring.length * 2];
        for (long s = head; s < tail; s++) {
            grown[(int) (s & (grown.length - 1))] = ring[(int) (s & (ring.length - 1))];
        }
        ring = grown;
    }

    private void growIndex() {
        slots = newSlots(slots.length * 2);
        hashes = new int[slots.length];
        for (long s = head; s < tail; s++) {
            index(s, ring[(int) (s & (ring.length - 1))].hash);
        }
    }
}
