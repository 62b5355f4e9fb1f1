package dev.asr.streams.state;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The topology's state stores, with fixed names: the names are part of the changelog topic names
 * ({@code <application.id>-<store>-changelog}), so renaming one loses its state. The {@code -v2}
 * stores hold this version's formats; the first version's stores are not read (see the README's
 * Upgrading section).
 *
 * <p>Every agent-side store is uncached: the processor holds what is hot as live objects ({@link
 * AgentTable}) or reads cold entries by point lookups ({@link SeenStore}, {@link ClosedBucketStore}),
 * and Kafka Streams' record cache (a sorted map per store) would only add a copy per write.
 */
public final class AsrStores {

    /** Per agent (fleet + agent id): its clock, band, open buckets and views ({@link AgentTable}). */
    public static final String AGENTS = "asr-agents-v2";
    /** Per agent and open task: what the task has spent so far and when it last did anything. */
    public static final String OPEN_TASKS = "asr-open-tasks-v2";
    /** Per agent and closed bucket: its figures, kept while the longest view holds it. */
    public static final String BUCKETS = "asr-buckets-v2";
    /** Per agent: the event ids it had and the tasks it settled ({@link SeenStore}), by epoch, up to 128 to a record. */
    public static final String SEEN_LOG = "asr-seen-log";
    /** Where each of {@link #SEEN_LOG}'s entries is: local only, derived from the log. */
    public static final String SEEN_INDEX = "asr-seen-index";
    /** Per fleet, view and window end: the sum of its agents' windows. */
    public static final String FLEET_WINDOWS = "asr-fleet-windows-v2";
    /** The fleet roll-up's progress: each input partition's watermark, and how far fleet rows are written. */
    public static final String FLEET_PROGRESS = "asr-fleet-progress";

    public static final String[] AGENT_STORES = {AGENTS, OPEN_TASKS, BUCKETS, SEEN_LOG, SEEN_INDEX};
    public static final String[] FLEET_STORES = {FLEET_WINDOWS, FLEET_PROGRESS};

    /** Where stores keep their data: RocksDB on disk, or the heap (tests that pipe millions of records through the test driver). */
    public enum Storage {
        ROCKSDB,
        IN_MEMORY
    }

    private AsrStores() {}

    public static StoreBuilder<WriteBackStore> agents(Storage storage) {
        return WriteBackStore.builder(keyValue(AGENTS, storage));
    }

    public static StoreBuilder<KeyValueStore<Bytes, byte[]>> openTasks(Storage storage) {
        return keyValue(OPEN_TASKS, storage);
    }

    public static StoreBuilder<KeyValueStore<Bytes, byte[]>> buckets(Storage storage) {
        return keyValue(BUCKETS, storage);
    }

    /** Written at each commit from {@link SeenStore}'s pending entries. */
    public static StoreBuilder<WriteBackStore> seenLog(Storage storage) {
        return WriteBackStore.builder(keyValue(SEEN_LOG, storage));
    }

    /** Not logged: rebuilt from {@link #SEEN_LOG} when it is behind it. */
    public static StoreBuilder<KeyValueStore<Bytes, byte[]>> seenIndex(Storage storage) {
        return keyValue(SEEN_INDEX, storage).withLoggingDisabled();
    }

    public static StoreBuilder<KeyValueStore<Bytes, byte[]>> fleetWindows(Storage storage) {
        return keyValue(FLEET_WINDOWS, storage).withCachingEnabled();
    }

    public static StoreBuilder<KeyValueStore<Bytes, byte[]>> fleetProgress(Storage storage) {
        return keyValue(FLEET_PROGRESS, storage).withCachingEnabled();
    }

    private static StoreBuilder<KeyValueStore<Bytes, byte[]>> keyValue(String name, Storage storage) {
        return Stores.keyValueStoreBuilder(storage == Storage.ROCKSDB ? Stores.persistentKeyValueStore(name)
                : Stores.inMemoryKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray()).withCachingDisabled();
    }
}
