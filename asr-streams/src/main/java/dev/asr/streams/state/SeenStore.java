package dev.asr.streams.state;

import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.ledger.SeenIds;
import dev.asr.streams.ledger.Settlement;
import dev.asr.streams.ledger.SettledTasks;
import dev.asr.streams.state.codec.SettlementCodec;
import java.util.function.LongSupplier;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The ids each agent has had ({@link SeenIds}) and the tasks it settled ({@link SettledTasks}), one
 * entry each in the logged {@link AsrStores#SEEN} window store. Entries are filed under the
 * <em>epoch</em> of the wall clock when they were written (a quarter of the longest retention);
 * the window store drops whole epochs once they are past the retention, and its changelog expires
 * them by time, so forgetting costs no tombstones.
 *
 * <p>A lookup is a point read in each epoch the {@link SeenFilter} cannot rule out: for almost
 * every new id, none. Exact: the filter never rules out a key that is there.
 */
public final class SeenStore implements SeenIds, SettledTasks {

    private static final byte EVENT_ID = 'e';
    private static final byte TASK = 't';
    private static final byte[] PRESENT = new byte[0];
    /** Epochs a lookup may read: the retention spans four, plus the one being filled. */
    private static final int MAX_EPOCHS = 6;

    private final WindowStore<Bytes, byte[]> store;
    private final SeenFilter filter = new SeenFilter();
    private final LongSupplier wallClock;
    private final long idRetentionMs;
    private final long taskRetentionMs;
    private final long epochMs;
    private final long[] candidates = new long[MAX_EPOCHS];
    private long lastEpoch = Long.MIN_VALUE;

    /**
     * @param idRetentionMs how long an event id is remembered ({@code asr.dedup.retention})
     * @param taskRetentionMs how long a settled task is remembered ({@code asr.task.settled-retention})
     */
    public SeenStore(WindowStore<Bytes, byte[]> store, LongSupplier wallClock, long idRetentionMs, long taskRetentionMs) {
        this.store = store;
        this.wallClock = wallClock;
        this.idRetentionMs = idRetentionMs;
        this.taskRetentionMs = taskRetentionMs;
        this.epochMs = epochLength(idRetentionMs, taskRetentionMs);
    }

    /** How much wall time one epoch covers: a quarter of the longer retention. */
    public static long epochLength(long idRetentionMs, long taskRetentionMs) {
        return Math.max(1, Math.max(idRetentionMs, taskRetentionMs) / 4);
    }

    /** How long the window store must keep an epoch so each entry lasts at least its retention. */
    public static long storeRetention(long idRetentionMs, long taskRetentionMs) {
        return Math.max(idRetentionMs, taskRetentionMs) + epochLength(idRetentionMs, taskRetentionMs);
    }

    /** Rebuilds the filter from the store (after a restart or a restore). */
    public void load() {
        filter.clear();
        try (KeyValueIterator<Windowed<Bytes>, byte[]> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<Windowed<Bytes>, byte[]> entry = all.next();
                filter.add(SeenFilter.hash(entry.key.key().get()), entry.key.window().start());
            }
        }
        lastEpoch = Long.MIN_VALUE;
    }

    @Override
    public boolean firstSight(AgentKey agent, String eventId) {
        byte[] key = StoreKeys.seen(EVENT_ID, agent, eventId);
        long hash = SeenFilter.hash(key);
        if (find(key, hash, idRetentionMs) != null) {
            return false;
        }
        write(key, hash, PRESENT);
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
        write(key, SeenFilter.hash(key), SettlementCodec.encode(settlement));
    }

    /** Filters held in memory (for tests and sizing). */
    int epochsHeld() {
        return filter.epochs();
    }

    private byte[] find(byte[] key, long hash, long retentionMs) {
        int count = filter.candidates(hash, candidates);
        if (count == 0) {
            return null;
        }
        long oldest = epochOf(wallClock.getAsLong() - retentionMs);
        Bytes wrapped = Bytes.wrap(key);
        for (int i = 0; i < count && candidates[i] >= oldest; i++) {
            byte[] value = store.fetch(wrapped, candidates[i]);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private void write(byte[] key, long hash, byte[] value) {
        long epoch = epochOf(wallClock.getAsLong());
        if (epoch != lastEpoch) {
            filter.dropBefore(epoch - Math.max(idRetentionMs, taskRetentionMs) - epochMs);
            lastEpoch = epoch;
        }
        store.put(Bytes.wrap(key), value, epoch);
        filter.add(hash, epoch);
    }

    private long epochOf(long wallMs) {
        return Math.floorDiv(wallMs, epochMs) * epochMs;
    }
}
