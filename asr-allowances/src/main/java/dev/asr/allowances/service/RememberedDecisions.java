package dev.asr.allowances.service;

import dev.asr.allowances.decision.Decision;
import dev.asr.allowances.decision.Outcome;
import dev.asr.allowances.decision.Reason;
import dev.asr.allowances.ledger.CashView;
import dev.asr.event.Band;
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
 * another: few cards) and the index is primitive arrays (no references: no cards at all). Nor is
 * a remembered decision an object of its own there (a decision, its cash view and its instant
 * were three, copied by every young collection until they were promoted): it is numbers and
 * references at its slot of two arrays, and {@link #get} builds the answer again, equal to the
 * one remembered.
 *
 * <p>Thread-safe: every method holds this object's lock, briefly.
 */
final class RememberedDecisions {

    private static final long EMPTY = -1;
    private static final Decision[] DECISIONS = Decision.values();
    private static final Reason[] REASONS = Reason.values();
    private static final Band[] BANDS = Band.values();

    /*
     * The ring, in arrival order: sequence number s sits at slot s & (capacity - 1), for s in
     * [head, tail). A decision is not kept as an object but spread over two arrays at its slot, so
     * remembering one allocates nothing the collector must copy but what the decision already had
     * (its authorization id, its hold's expiry): per slot REFS references (its agent, its id, its
     * period's bounds, shared by the agent's decisions, and its hold's expiry) and NUMBERS longs.
     */
    private static final int OWNER = 0;
    private static final int ID = 1;
    private static final int PERIOD_START = 2;
    private static final int PERIOD_END = 3;
    private static final int HOLD_EXPIRES_AT = 4;
    private static final int REFS = 5;
    private static final int LIMIT = 0;
    private static final int SPENT = 1;
    private static final int HELD = 2;
    private static final int DECIDED_SECOND = 3;
    /** The decided-at nanosecond (bits 0-29), the decision (bits 32-35), the reason (36-43) and the band (44-51). */
    private static final int CODES = 4;
    private static final int NUMBERS = 5;

    private int capacity = 1024;
    private Object[] refs = new Object[capacity * REFS];
    private long[] numbers = new long[capacity * NUMBERS];
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

    /** The index's hash of the decision at {@code slot} (derived from its agent and id: not stored). */
    private int hash(int slot) {
        return hash(refs[slot * REFS + OWNER], (String) refs[slot * REFS + ID]);
    }

    private int slot(long sequence) {
        return (int) (sequence & (capacity - 1));
    }

    /** The ring slot of the decision {@code owner} remembers for {@code authorizationId}, or -1. */
    private int slotOf(Object owner, String authorizationId) {
        int hash = hash(owner, authorizationId);
        int mask = slots.length - 1;
        for (int i = hash & mask; slots[i] != EMPTY; i = (i + 1) & mask) {
            if (hashes[i] == hash) {
                int slot = slot(slots[i]);
                if (refs[slot * REFS + OWNER] == owner && authorizationId.equals(refs[slot * REFS + ID])) {
                    return slot;
                }
            }
        }
        return -1;
    }

    /** The decision {@code owner} (an agent) remembers for {@code authorizationId}, or null. */
    synchronized Outcome get(Object owner, String authorizationId) {
        int slot = slotOf(owner, authorizationId);
        return slot < 0 ? null : outcome(slot);
    }

    /** Whether {@code owner} remembers a decision for {@code authorizationId} (without building it). */
    synchronized boolean contains(Object owner, String authorizationId) {
        return slotOf(owner, authorizationId) >= 0;
    }

    /** Remembers {@code outcome} for {@code owner}; false (and nothing changes) when it remembers one for that id already. */
    synchronized boolean putIfAbsent(Object owner, Outcome outcome) {
        if (slotOf(owner, outcome.authorizationId()) >= 0) {
            return false;
        }
        if (tail - head == capacity) {
            growRing();
        }
        if ((tail - head + 1) * 2 > slots.length) {
            growIndex();
        }
        int hash = hash(owner, outcome.authorizationId());
        int slot = slot(tail);
        CashView view = outcome.view();
        refs[slot * REFS + OWNER] = owner;
        refs[slot * REFS + ID] = outcome.authorizationId();
        refs[slot * REFS + PERIOD_START] = view.periodStart();
        refs[slot * REFS + PERIOD_END] = view.periodEnd();
        refs[slot * REFS + HOLD_EXPIRES_AT] = outcome.holdExpiresAt();
        numbers[slot * NUMBERS + LIMIT] = view.limitMicros();
        numbers[slot * NUMBERS + SPENT] = view.spentMicros();
        numbers[slot * NUMBERS + HELD] = view.heldMicros();
        numbers[slot * NUMBERS + DECIDED_SECOND] = outcome.decidedAt().getEpochSecond();
        numbers[slot * NUMBERS + CODES] = outcome.decidedAt().getNano() | (long) outcome.decision().ordinal() << 32
                | (long) outcome.reason().ordinal() << 36 | (long) view.band().ordinal() << 44;
        index(tail, hash);
        tail++;
        return true;
    }

    /** The remembered decision at {@code slot}, as it was remembered. */
    private Outcome outcome(int slot) {
        long codes = numbers[slot * NUMBERS + CODES];
        CashView view = new CashView(BANDS[(int) (codes >>> 44) & 0xFF], (Instant) refs[slot * REFS + PERIOD_START],
                (Instant) refs[slot * REFS + PERIOD_END], numbers[slot * NUMBERS + LIMIT], numbers[slot * NUMBERS + SPENT],
                numbers[slot * NUMBERS + HELD]);
        return new Outcome((String) refs[slot * REFS + ID], DECISIONS[(int) (codes >>> 32) & 0xF], REASONS[(int) (codes >>> 36) & 0xFF],
                view, decidedAt(slot), (Instant) refs[slot * REFS + HOLD_EXPIRES_AT]);
    }

    private Instant decidedAt(int slot) {
        return Instant.ofEpochSecond(numbers[slot * NUMBERS + DECIDED_SECOND], decidedNano(slot));
    }

    private int decidedNano(int slot) {
        return (int) (numbers[slot * NUMBERS + CODES] & 0x3FFF_FFFF);
    }

    /** Whether the decision at {@code slot} was decided before {@code instant} (without making an instant of it). */
    private boolean decidedBefore(int slot, Instant instant) {
        long second = numbers[slot * NUMBERS + DECIDED_SECOND];
        return second < instant.getEpochSecond() || second == instant.getEpochSecond() && decidedNano(slot) < instant.getNano();
    }

    /** Forgets the oldest decisions while there are more than {@code atMost}, or the oldest was decided before {@code before}. */
    synchronized void forget(Instant before, int atMost) {
        while (head < tail) {
            int slot = slot(head);
            if (tail - head <= atMost && !decidedBefore(slot, before)) {
                return;
            }
            unindex(head, hash(slot));
            Arrays.fill(refs, slot * REFS, (slot + 1) * REFS, null);
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
        int grown = capacity * 2;
        Object[] grownRefs = new Object[grown * REFS];
        long[] grownNumbers = new long[grown * NUMBERS];
        for (long s = head; s < tail; s++) {
            int from = slot(s);
            int to = (int) (s & (grown - 1));
            System.arraycopy(refs, from * REFS, grownRefs, to * REFS, REFS);
            System.arraycopy(numbers, from * NUMBERS, grownNumbers, to * NUMBERS, NUMBERS);
        }
        capacity = grown;
        refs = grownRefs;
        numbers = grownNumbers;
    }

    private void growIndex() {
        slots = newSlots(slots.length * 2);
        hashes = new int[slots.length];
        for (long s = head; s < tail; s++) {
            index(s, hash(slot(s)));
        }
    }
}
