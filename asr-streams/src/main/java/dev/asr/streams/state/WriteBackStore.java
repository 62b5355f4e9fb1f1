package dev.asr.streams.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A changelogged RocksDB store with the hot entries kept as live objects in a hash map: reads and
 * writes between commits touch only the map; {@link #flush()} — called by Kafka Streams at every
 * commit, before the transaction commits — writes each changed entry once into the logged store.
 *
 * <p>Kafka Streams calls {@code flush()} only at checkpoints; at every commit it calls {@link
 * #flushCache()}, and only on stores that implement its {@code CachedStateStore} interface — an
 * internal interface, implemented here because it is the one hook that runs inside each
 * transaction. The crash-recovery integration test fails if that ever stops being true.
 * So the state and its changelog stay exactly-once, without a store round trip (serialization,
 * metering, the record cache's sorted map) per event.
 *
 * <p>Values are mutable objects: after changing one, {@link #put} it again to mark it dirty.
 *
 * <p>A <em>resident</em> store keeps every entry in memory (loaded on first use, after restoration),
 * so a miss costs no RocksDB read, and an entry created and deleted between two commits never
 * reaches RocksDB or the changelog at all: for small sets with churn, such as open tasks.
 */
public final class WriteBackStore<K, V> implements StateStore, CachedStateStore<K, V> {

    /** How values become bytes in the logged store. */
    public interface Codec<V> {
        byte[] encode(V value);

        V decode(byte[] bytes);
    }

    private final KeyValueStore<K, byte[]> inner;
    private final Codec<V> codec;
    private final int maxCachedEntries;
    private final boolean resident;
    private final Map<K, V> cache = new HashMap<>();
    private final Set<K> dirty = new HashSet<>();
    private final Set<K> deleted = new HashSet<>();
    /** Resident stores: keys put since the last flush that RocksDB does not have. */
    private final Set<K> fresh = new HashSet<>();
    private boolean loaded;

    WriteBackStore(KeyValueStore<K, byte[]> inner, Codec<V> codec, int maxCachedEntries, boolean resident) {
        this.inner = inner;
        this.codec = codec;
        this.maxCachedEntries = maxCachedEntries;
        this.resident = resident;
    }

    public V get(K key) {
        if (resident) {
            load();
            return cache.get(key);
        }
        V value = cache.get(key);
        if (value != null || deleted.contains(key)) {
            return value;
        }
        byte[] bytes = inner.get(key);
        if (bytes == null) {
            return null;
        }
        value = codec.decode(bytes);
        cache.put(key, value);
        return value;
    }

    public void put(K key, V value) {
        if (resident) {
            load();
            if (cache.put(key, value) == null && !deleted.remove(key)) {
                fresh.add(key);
            }
        } else {
            cache.put(key, value);
            deleted.remove(key);
        }
        dirty.add(key);
    }

    public void delete(K key) {
        if (resident) {
            load();
        }
        cache.remove(key);
        dirty.remove(key);
        if (!fresh.remove(key)) {
            deleted.add(key);
        }
    }

    /** Resident stores: every entry, in no particular order; the action must not change the store. */
    public void forEachResident(BiConsumer<K, V> action) {
        if (!resident) {
            throw new IllegalStateException(name() + " is not resident");
        }
        load();
        cache.forEach(action);
    }

    private void load() {
        if (loaded) {
            return;
        }
        loaded = true;
        try (KeyValueIterator<K, byte[]> all = inner.all()) {
            while (all.hasNext()) {
                KeyValue<K, byte[]> entry = all.next();
                cache.putIfAbsent(entry.key, codec.decode(entry.value));
            }
        }
    }

    /** Every entry, in the logged store's key order. */
    public void forEach(BiConsumer<K, V> action) {
        writeBack();
        try (KeyValueIterator<K, byte[]> all = inner.all()) {
            while (all.hasNext()) {
                KeyValue<K, byte[]> entry = all.next();
                action.accept(entry.key, cached(entry));
            }
        }
    }

    /** The entries whose serialized keys start with {@code prefix}, in key order. */
    public <P> List<KeyValue<K, V>> prefix(P prefix, org.apache.kafka.common.serialization.Serializer<P> serializer) {
        writeBack();
        List<KeyValue<K, V>> found = new ArrayList<>();
        try (KeyValueIterator<K, byte[]> range = inner.prefixScan(prefix, serializer)) {
            while (range.hasNext()) {
                KeyValue<K, byte[]> entry = range.next();
                found.add(KeyValue.pair(entry.key, cached(entry)));
            }
        }
        return found;
    }

    private V cached(KeyValue<K, byte[]> entry) {
        V value = cache.get(entry.key);
        return value != null ? value : codec.decode(entry.value);
    }

    /** Writes every changed entry into the logged store (and so its changelog). */
    private void writeBack() {
        for (K key : deleted) {
            inner.delete(key);
        }
        deleted.clear();
        for (K key : dirty) {
            inner.put(key, codec.encode(cache.get(key)));
        }
        dirty.clear();
        fresh.clear();
    }

    /** Runs at every commit, before the changelog is flushed and the transaction committed. */
    @Override
    public void flushCache() {
        writeBack();
    }

    /** Drops what was not written back: Kafka Streams calls this when it abandons uncommitted work. */
    @Override
    public void clearCache() {
        forget();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<K, V> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public void flush() {
        writeBack();
        if (!resident && cache.size() > maxCachedEntries) {
            cache.clear();
        }
        inner.flush();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        forget();
        inner.init(context, root);
    }

    @Override
    public void close() {
        forget();
        inner.close();
    }

    /** Drops what is in memory: after init or close, RocksDB (restored from the changelog) is the truth. */
    private void forget() {
        cache.clear();
        dirty.clear();
        deleted.clear();
        fresh.clear();
        loaded = false;
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public Position getPosition() {
        return inner.getPosition();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return inner.query(query, positionBound, config);
    }

    /** Builds the logged RocksDB store (uncached: this is the cache) and wraps it, keeping up to {@code maxCachedEntries} hot. */
    public static <K, V> org.apache.kafka.streams.state.StoreBuilder<WriteBackStore<K, V>> builder(
            org.apache.kafka.streams.state.StoreBuilder<KeyValueStore<K, byte[]>> inner, Codec<V> codec, int maxCachedEntries) {
        return new Builder<>(inner.withCachingDisabled(), store -> new WriteBackStore<>(store, codec, maxCachedEntries, false));
    }

    /** Builds the logged RocksDB store and wraps it, keeping every entry in memory. */
    public static <K, V> org.apache.kafka.streams.state.StoreBuilder<WriteBackStore<K, V>> resident(
            org.apache.kafka.streams.state.StoreBuilder<KeyValueStore<K, byte[]>> inner, Codec<V> codec) {
        return new Builder<>(inner.withCachingDisabled(), store -> new WriteBackStore<>(store, codec, Integer.MAX_VALUE, true));
    }

    private record Builder<K, V>(org.apache.kafka.streams.state.StoreBuilder<KeyValueStore<K, byte[]>> inner,
            Function<KeyValueStore<K, byte[]>, WriteBackStore<K, V>> wrap)
            implements org.apache.kafka.streams.state.StoreBuilder<WriteBackStore<K, V>> {

        @Override
        public org.apache.kafka.streams.state.StoreBuilder<WriteBackStore<K, V>> withCachingEnabled() {
            throw new UnsupportedOperationException("a write-back store is its own cache");
        }

        @Override
        public org.apache.kafka.streams.state.StoreBuilder<WriteBackStore<K, V>> withCachingDisabled() {
            return this;
        }

        @Override
        public org.apache.kafka.streams.state.StoreBuilder<WriteBackStore<K, V>> withLoggingEnabled(Map<String, String> config) {
            return new Builder<>(inner.withLoggingEnabled(config), wrap);
        }

        @Override
        public org.apache.kafka.streams.state.StoreBuilder<WriteBackStore<K, V>> withLoggingDisabled() {
            throw new UnsupportedOperationException("a write-back store must be logged: its changelog is what makes it durable");
        }

        @Override
        public WriteBackStore<K, V> build() {
            return wrap.apply(inner.build());
        }

        @Override
        public Map<String, String> logConfig() {
            return inner.logConfig();
        }

        @Override
        public boolean loggingEnabled() {
            return inner.loggingEnabled();
        }

        @Override
        public String name() {
            return inner.name();
        }
    }
}
