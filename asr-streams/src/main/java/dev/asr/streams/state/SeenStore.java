package dev.asr.streams.state;

import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.ledger.SeenIds;
import dev.asr.streams.ledger.Settlement;
import dev.asr.streams.ledger.SettledTasks;
import dev.asr.streams.state.codec.ByteSink;
import dev.asr.streams.state.codec.ByteSource;
import dev.asr.streams.state.codec.SettlementCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The ids each agent has had ({@link SeenIds}) and the tasks it settled ({@link SettledTasks}):
 * one entry per id, never a record that grows with a task or an agent.
 *
 * <ul>
 *   <li>The truth is the <em>log</em> ({@link AsrStores#SEEN_LOG}, changelogged): entries are
 *       written at each commit, up to {@value #ENTRIES_PER_RECORD} to a record, filed under the
 *       <em>epoch</em> of the wall clock they were written in (a quarter of the longest retention).
 *       One changelog record per 128 ids, not per id: the profile showed a record per id as the
 *       largest cost of the topology, in this process and in the broker.
 *   <li>Lookups go to the <em>index</em> ({@link AsrStores#SEEN_INDEX}, local only): each entry's
 *       key to where it is, written in one batch per commit. It is derived from the log: after a
 *       restart it is checked against the log's last record and brought up to date; under
 *       exactly-once a crash wipes it with the rest of the task's state, and it is rebuilt.
 *   <li>In front of both, {@link SeenFilter} rules out almost every key never seen (the first
 *       sight of an id: almost every lookup) in a few memory probes. Exact: it never rules out a
 *       key that is there, and a "maybe" is confirmed by the index.
 *   <li>Epochs past the retention are dropped: their log records and index entries deleted a
 *       slice at a time (punctuation), their filters forgotten.
 * </ul>
 */
public final class SeenStore implements SeenIds, SettledTasks {

    static final int ENTRIES_PER_RECORD = 128;
    private static final byte EVENT_ID = 'e';
    private static final byte TASK = 't';
    private static final byte[] PRESENT = new byte[0];
    /** Index key of the last log sequence number the index holds (no entry key starts with 0xff: they start with a kind byte). */
    private static final Bytes SYNCED = Bytes.wrap(new byte[] {(byte) 0xff, 's', 'y', 'n', 'c'});
    /** Log records whose entries are dropped per call of {@link #dropExpired}. */
    private static final int DROP_SLICE = 64;

    private final KeyValueStore<Bytes, byte[]> log;
    private final KeyValueStore<Bytes, byte[]> index;
    private final SeenFilter filter = new SeenFilter();
    private final LongSupplier wallClock;
    private final long idRetentionMs;
    private final long taskRetentionMs;
    private final long epochMs;
    /** Written since the last commit, in arrival order, found by hash: the log's next records and the index's next batch. */
    private final PendingEntries pending = new PendingEntries();
    private long nextSequence;
    private long currentEpoch = Long.MIN_VALUE;
    private long expiredBefore = Long.MIN_VALUE;

    /**
     * @param idRetentionMs how long an event id is remembered ({@code asr.dedup.retention})
     * @param taskRetentionMs how long a settled task is remembered ({@code asr.task.settled-retention})
     */
    public SeenStore(KeyValueStore<Bytes, byte[]> log, KeyValueStore<Bytes, byte[]> index, LongSupplier wallClock, long idRetentionMs,
            long taskRetentionMs) {
        this.log = log;
        this.index = index;
        this.wallClock = wallClock;
        this.idRetentionMs = idRetentionMs;
        this.taskRetentionMs = taskRetentionMs;
        this.epochMs = Math.max(1, Math.max(idRetentionMs, taskRetentionMs) / 4);
    }

    /**
     * Rebuilds the filter from the log, and tells whether the index is behind it (after a
     * restore, or a crash that wiped it). Reads only: {@link #catchUpIndex} writes, once records
     * may be (stores are written while a record or punctuation is processed).
     */
    public boolean load() {
        filter.clear();
        pending.clear();
        currentEpoch = Long.MIN_VALUE;
        expiredBefore = Long.MIN_VALUE;
        long last = -1;
        try (KeyValueIterator<Bytes, byte[]> all = log.all()) {
            while (all.hasNext()) {
                KeyValue<Bytes, byte[]> record = all.next();
                long epoch = epochOf(record.key);
                last = Math.max(last, sequenceOf(record.key));
                forEachEntry(record.value, (key, value) -> filter.add(SeenFilter.hash(key), epoch));
            }
        }
        nextSequence = last + 1;
        byte[] synced = index.get(SYNCED);
        return (synced == null ? -1 : new ByteSource(synced).readVarLong()) != last;
    }

    /** Makes the index hold exactly the log's entries: those of records it has not seen are added; if it is ahead (an aborted commit), it is rebuilt. */
    public void catchUpIndex() {
        byte[] saved = index.get(SYNCED);
        long synced = saved == null ? -1 : new ByteSource(saved).readVarLong();
        if (synced > nextSequence - 1) {
            List<KeyValue<Bytes, byte[]>> all = new ArrayList<>();
            try (KeyValueIterator<Bytes, byte[]> entries = index.all()) {
                entries.forEachRemaining(entry -> all.add(KeyValue.pair(entry.key, null)));
            }
            index.putAll(all);
            synced = -1;
        }
        List<KeyValue<Bytes, byte[]>> writes = new ArrayList<>();
        long floor = synced;
        try (KeyValueIterator<Bytes, byte[]> records = log.all()) {
            while (records.hasNext()) {
                KeyValue<Bytes, byte[]> record = records.next();
                if (sequenceOf(record.key) > floor) {
                    byte[] location = location(epochOf(record.key), sequenceOf(record.key));
                    forEachEntry(record.value, (key, value) -> writes.add(KeyValue.pair(Bytes.wrap(key), withValue(location, value))));
                }
            }
        }
        writes.add(KeyValue.pair(SYNCED, new ByteSink(10).writeVarLong(nextSequence - 1).toArray()));
        index.putAll(writes);
    }

    @Override
    public boolean firstSight(AgentKey agent, String eventId) {
        byte[] key = StoreKeys.seen(EVENT_ID, agent, eventId);
        long hash = SeenFilter.hash(key);
        if (find(key, hash, idRetentionMs) != null) {
            return false;
        }
        remember(key, hash, PRESENT);
        return true;
    }

    @Override
    public Settlement find(AgentKey agent, String taskId) {
        byte[] key = StoreKeys.seen(TASK, agent, taskId);
        byte[] found = find(key, SeenFilter.hash(key), taskRetentionMs);
        return found == null ? null : SettlementCodec.decode(found);
    }

    @Override
    public void remember(AgentKey agent, String taskId, Settlement settlement) {
        byte[] key = StoreKeys.seen(TASK, agent, taskId);
        remember(key, SeenFilter.hash(key), SettlementCodec.encode(settlement));
    }

    /** The value stored under {@code key} within the retention, or null. */
    private byte[] find(byte[] key, long hash, long retentionMs) {
        if (!filter.mightContain(hash)) {
            return null;
        }
        long oldest = epochOf(wallClock.getAsLong() - retentionMs);
        byte[] value = pending.get(key, hash);
        if (value != null) {
            return value;
        }
        byte[] found = index.get(Bytes.wrap(key));
        if (found == null) {
            return null;
        }
        ByteSource in = new ByteSource(found);
        long epoch = in.readFixedLong();
        if (epoch < oldest) {
            return null;
        }
        in.readVarLong();
        return Arrays.copyOfRange(found, in.position(), found.length);
    }

    private void remember(byte[] key, long hash, byte[] value) {
        long epoch = epochOf(wallClock.getAsLong());
        pending.put(key, hash, value, epoch);
        filter.add(hash, epoch);
        if (epoch != currentEpoch) {
            currentEpoch = epoch;
            filter.dropBefore(expiryFloor(epoch));
        }
    }

    /** Writes what was remembered since the last commit: the log's records, then the index in one batch. */
    public void flush() {
        int size = pending.size();
        if (size == 0) {
            return;
        }
        List<KeyValue<Bytes, byte[]>> indexWrites = new ArrayList<>(size + 1);
        int from = 0;
        while (from < size) {
            long epoch = pending.epoch(from);
            int to = from;
            while (to < size && to - from < ENTRIES_PER_RECORD && pending.epoch(to) == epoch) {
                to++;
            }
            long sequence = nextSequence++;
            ByteSink record = new ByteSink(96 * (to - from));
            byte[] location = location(epoch, sequence);
            for (int i = from; i < to; i++) {
                byte[] key = pending.key(i);
                byte[] value = pending.value(i);
                record.writeVarLong(key.length).writeRaw(key).writeVarLong(value.length).writeRaw(value);
                indexWrites.add(KeyValue.pair(Bytes.wrap(key), withValue(location, value)));
            }
            log.put(logKey(epoch, sequence), record.toArray());
            from = to;
        }
        indexWrites.add(KeyValue.pair(SYNCED, new ByteSink(10).writeVarLong(nextSequence - 1).toArray()));
        index.putAll(indexWrites);
        pending.clear();
    }

    /**
     * Drops a slice of what is past the retention: the log records of expired epochs and their
     * entries in the index. Returns whether more is left to drop.
     */
    public boolean dropExpired() {
        long floor = expiryFloor(epochOf(wallClock.getAsLong()));
        if (floor <= expiredBefore) {
            return false;
        }
        List<KeyValue<Bytes, byte[]>> deletions = new ArrayList<>();
        List<Bytes> records = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> expired = log.range(logKey(0, 0), logKey(floor, 0))) {
            while (expired.hasNext() && records.size() < DROP_SLICE) {
                KeyValue<Bytes, byte[]> record = expired.next();
                if (epochOf(record.key) >= floor) {
                    break;
                }
                records.add(record.key);
                forEachEntry(record.value, (key, value) -> deletions.add(KeyValue.pair(Bytes.wrap(key), null)));
            }
        }
        if (records.isEmpty()) {
            expiredBefore = floor;
            filter.dropBefore(floor);
            return false;
        }
        // An entry written again later (a settled task's marker is written once; an id never) belongs to its newer record:
        // keep it in the index when it points elsewhere.
        List<KeyValue<Bytes, byte[]>> stale = new ArrayList<>(deletions.size());
        for (KeyValue<Bytes, byte[]> deletion : deletions) {
            byte[] at = index.get(deletion.key);
            if (at != null && new ByteSource(at).readFixedLong() < floor) {
                stale.add(deletion);
            }
        }
        index.putAll(stale);
        records.forEach(log::delete);
        return true;
    }

    /** Entries written before the epoch {@code floor} are past the longest retention. */
    private long expiryFloor(long epoch) {
        return epoch - Math.max(idRetentionMs, taskRetentionMs) - epochMs;
    }

    /** Epochs whose entries the filter holds (for tests and sizing). */
    int epochsHeld() {
        return filter.epochs();
    }

    private long epochOf(long wallMs) {
        return Math.floorDiv(wallMs, epochMs) * epochMs;
    }

    private static Bytes logKey(long epoch, long sequence) {
        return Bytes.wrap(new ByteSink(16).writeFixedLong(epoch).writeFixedLong(sequence).toArray());
    }

    private static long epochOf(Bytes logKey) {
        return new ByteSource(logKey.get()).readFixedLong();
    }

    private static long sequenceOf(Bytes logKey) {
        return new ByteSource(logKey.get(), Long.BYTES).readFixedLong();
    }

    /** Where an entry is, as the index stores it: the epoch (8 bytes, first, to check the retention) and the log sequence. */
    private static byte[] location(long epoch, long sequence) {
        return new ByteSink(16).writeFixedLong(epoch).writeVarLong(sequence).toArray();
    }

    private static byte[] withValue(byte[] location, byte[] value) {
        byte[] joined = Arrays.copyOf(location, location.length + value.length);
        System.arraycopy(value, 0, joined, location.length, value.length);
        return joined;
    }

    private interface EntryAction {
        void accept(byte[] key, byte[] value);
    }

    private static void forEachEntry(byte[] record, EntryAction action) {
        ByteSource in = new ByteSource(record);
        while (in.hasMore()) {
            byte[] key = in.readBytes((int) in.readVarLong());
            byte[] value = in.readBytes((int) in.readVarLong());
            action.accept(key, value);
        }
    }
}
