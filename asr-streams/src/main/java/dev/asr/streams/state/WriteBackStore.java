package dev.asr.streams.state;

import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

/**
 * A changelogged RocksDB store whose entries the processor keeps as live objects between commits:
 * the processor registers what to write ({@link #beforeCommit}), and Kafka Streams runs it inside
 * every commit, before the transaction commits. So state and its changelog stay exactly-once,
 * with one write per changed entry per commit instead of one per event.
 *
 * <p>Kafka Streams calls {@code flush()} only at checkpoints; at every commit it calls {@link
 * #flushCache()}, and only on stores that implement its {@code CachedStateStore} interface: an
 * internal interface, implemented here because it is the one hook that runs inside each
 * transaction. The crash-recovery integration test fails if that ever stops being true.
 */
public final class WriteBackStore implements StateStore, CachedStateStore<Bytes, byte[]> {

    private static final Runnable NOTHING = () -> {};

    private final KeyValueStore<Bytes, byte[]> inner;
    private Runnable writeBack = NOTHING;

    WriteBackStore(KeyValueStore<Bytes, byte[]> inner) {
        this.inner = inner;
    }

    /** The logged store itself: read it at start, write it from {@link #beforeCommit}'s action. */
    public KeyValueStore<Bytes, byte[]> logged() {
        return inner;
    }

    /** What to write into the logged stores at every commit. */
    public void beforeCommit(Runnable action) {
        this.writeBack = action;
    }

    /** Runs at every commit, before the changelog is flushed and the transaction committed. */
    @Override
    public void flushCache() {
        writeBack.run();
    }

    /** Kafka Streams abandons uncommitted work (a task recycled): the processor is initialized again and reloads. */
    @Override
    public void clearCache() {
        writeBack = NOTHING;
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Bytes, byte[]> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public void flush() {
        writeBack.run();
        inner.flush();
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        writeBack = NOTHING;
        inner.init(context, root);
    }

    @Override
    public void close() {
        writeBack = NOTHING;
        inner.close();
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

    /** Builds the logged RocksDB store (uncached: the processor's objects are the cache) and wraps it. */
    public static StoreBuilder<WriteBackStore> builder(StoreBuilder<KeyValueStore<Bytes, byte[]>> inner) {
        return new Builder(inner.withCachingDisabled(), WriteBackStore::new);
    }

    private record Builder(StoreBuilder<KeyValueStore<Bytes, byte[]>> inner, Function<KeyValueStore<Bytes, byte[]>, WriteBackStore> wrap)
            implements StoreBuilder<WriteBackStore> {

        @Override
        public StoreBuilder<WriteBackStore> withCachingEnabled() {
            throw new UnsupportedOperationException("a write-back store is its own cache");
        }

        @Override
        public StoreBuilder<WriteBackStore> withCachingDisabled() {
            return this;
        }

        @Override
        public StoreBuilder<WriteBackStore> withLoggingEnabled(Map<String, String> config) {
            return new Builder(inner.withLoggingEnabled(config), wrap);
        }

        @Override
        public StoreBuilder<WriteBackStore> withLoggingDisabled() {
            throw new UnsupportedOperationException("a write-back store must be logged: its changelog is what makes it durable");
        }

        @Override
        public WriteBackStore build() {
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
