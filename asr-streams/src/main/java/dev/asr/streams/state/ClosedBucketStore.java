package dev.asr.streams.state;

import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.figures.Figures;
import dev.asr.streams.state.codec.FiguresCodec;
import dev.asr.streams.window.ClosedBuckets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** {@link ClosedBuckets} in the logged {@link AsrStores#BUCKETS} store: written once when a bucket closes, deleted when it leaves the longest view. */
public final class ClosedBucketStore implements ClosedBuckets {

    private final KeyValueStore<Bytes, byte[]> store;

    public ClosedBucketStore(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    @Override
    public Figures get(AgentKey agent, long start) {
        byte[] bytes = store.get(Bytes.wrap(StoreKeys.bucket(agent, start)));
        return bytes == null ? null : FiguresCodec.decode(bytes);
    }

    @Override
    public void put(AgentKey agent, long start, Figures figures) {
        store.put(Bytes.wrap(StoreKeys.bucket(agent, start)), FiguresCodec.encode(figures));
    }

    @Override
    public void delete(AgentKey agent, long start) {
        store.delete(Bytes.wrap(StoreKeys.bucket(agent, start)));
    }

    @Override
    public void forEach(AgentKey agent, long from, long to, BiConsumer<Long, Figures> action) {
        try (KeyValueIterator<Bytes, byte[]> range = store.range(Bytes.wrap(StoreKeys.bucket(agent, from)),
                Bytes.wrap(StoreKeys.bucket(agent, to - 1)))) {
            while (range.hasNext()) {
                KeyValue<Bytes, byte[]> entry = range.next();
                action.accept(StoreKeys.bucketStartOf(entry.key.get()), FiguresCodec.decode(entry.value));
            }
        }
    }

    @Override
    public void deleteBefore(AgentKey agent, long start) {
        List<Bytes> old = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> range = store.range(Bytes.wrap(StoreKeys.bucket(agent, 0)),
                Bytes.wrap(StoreKeys.bucket(agent, start - 1)))) {
            range.forEachRemaining(entry -> old.add(entry.key));
        }
        old.forEach(store::delete);
    }
}
