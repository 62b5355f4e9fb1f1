package dev.asr.streams.state;

import dev.asr.streams.StreamsSettings;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.window.Bucket;
import dev.asr.streams.window.RollingViews;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The topology's state stores, with fixed names: the names are part of the changelog topic names
 * ({@code <application.id>-<store>-changelog}), so renaming one loses its state.
 */
public final class AsrStores {

    /** Event ids seen recently (window store: expires by itself after {@code asr.dedup.retention}). */
    public static final String DEDUP = "asr-dedup";
    /** Open tasks: what each has spent so far and when it was last active. */
    public static final String OPEN_TASKS = "asr-open-tasks";
    /** Tasks settled recently (window store: expires after {@code asr.task.settled-retention}). */
    public static final String SETTLED_TASKS = "asr-settled-tasks";
    /** Per agent and bucket: the bucket's figures, kept while the bucket is in the longest view. */
    public static final String BUCKETS = "asr-buckets";
    /** Per agent: the running sums of each rolling view and the band. */
    public static final String AGENTS = "asr-agents";
    /** The partition's event-time clock: high water and the last closed bucket boundary. */
    public static final String CLOCK = "asr-clock";
    /** Per fleet, view and window end: the sum of the agents' windows. */
    public static final String FLEET_WINDOWS = "asr-fleet-windows";
    /** The fleet roll-up's clock. */
    public static final String FLEET_CLOCK = "asr-fleet-clock";

    public static final String[] AGENT_STORES = {DEDUP, OPEN_TASKS, SETTLED_TASKS, BUCKETS, AGENTS, CLOCK};
    public static final String[] FLEET_STORES = {FLEET_WINDOWS, FLEET_CLOCK};

    private AsrStores() {}

    /**
     * Uncached: every key is new, so a cache would only fill, evict and flush (the Streams record
     * cache is a TreeMap: measured as the top cost of the topology when this store used it).
     */
    public static StoreBuilder<WindowStore<String, byte[]>> dedup(StreamsSettings settings) {
        return window(DEDUP, settings.dedupRetention());
    }

    /**
     * Uncached: it is read with a time-range fetch, which on a cached window store copies the whole
     * cache's key set on every call (measured: 25x slower at a few thousand open entries).
     */
    public static StoreBuilder<WindowStore<String, byte[]>> settledTasks(StreamsSettings settings) {
        return window(SETTLED_TASKS, settings.settledRetention());
    }

    /** Hot entries kept per store and partition between commits before clean ones are dropped. */
    private static final int HOT_ENTRIES = 200_000;

    /** Resident: open tasks are few (those in flight, and silent ones until they time out) and churn fast. */
    public static StoreBuilder<WriteBackStore<String, TaskState>> openTasks() {
        return WriteBackStore.resident(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(OPEN_TASKS), Serdes.String(),
                Serdes.ByteArray()), codec(TaskState::toBytes, TaskState::fromBytes));
    }

    public static StoreBuilder<WriteBackStore<Bytes, Bucket>> buckets() {
        return WriteBackStore.builder(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(BUCKETS), Serdes.Bytes(),
                Serdes.ByteArray()), codec(Bucket::toBytes, Bucket::fromBytes), HOT_ENTRIES);
    }

    /** Resident: one entry per agent. */
    public static StoreBuilder<WriteBackStore<String, RollingViews>> agents() {
        return WriteBackStore.resident(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(AGENTS), Serdes.String(),
                Serdes.ByteArray()), codec(RollingViews::toBytes, RollingViews::fromBytes));
    }

    private static <V> WriteBackStore.Codec<V> codec(java.util.function.Function<V, byte[]> encode,
            java.util.function.Function<byte[], V> decode) {
        return new WriteBackStore.Codec<>() {
            @Override
            public byte[] encode(V value) {
                return encode.apply(value);
            }

            @Override
            public V decode(byte[] bytes) {
                return decode.apply(bytes);
            }
        };
    }

    public static StoreBuilder<KeyValueStore<String, byte[]>> clock() {
        return keyValue(CLOCK);
    }

    public static StoreBuilder<KeyValueStore<Bytes, byte[]>> fleetWindows() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(FLEET_WINDOWS), Serdes.Bytes(), Serdes.ByteArray())
                .withCachingEnabled();
    }

    public static StoreBuilder<KeyValueStore<String, byte[]>> fleetClock() {
        return keyValue(FLEET_CLOCK);
    }

    private static StoreBuilder<KeyValueStore<String, byte[]>> keyValue(String name) {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), Serdes.ByteArray())
                .withCachingEnabled();
    }

    /** A window store used as a set with expiry: windows of 1 ms at the event's time. */
    private static StoreBuilder<WindowStore<String, byte[]>> window(String name, Duration retention) {
        return Stores.windowStoreBuilder(
                Stores.persistentWindowStore(name, retention, Duration.ofMillis(1), false), Serdes.String(), Serdes.ByteArray());
    }
}
