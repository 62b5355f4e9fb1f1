package dev.asr.streams.state;

import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.kafka.common.utils.Bytes;
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

/** A key-value store in a sorted map, for testing what works over stores without Kafka Streams around it. */
final class TreeMapStore implements KeyValueStore<Bytes, byte[]> {

    final TreeMap<Bytes, byte[]> map = new TreeMap<>();
    int putAllCalls;

    @Override
    public void put(Bytes key, byte[] value) {
        if (value == null) {
            map.remove(key);
        } else {
            map.put(key, value);
        }
    }

    @Override
    public byte[] putIfAbsent(Bytes key, byte[] value) {
        return map.putIfAbsent(key, value);
    }

    @Override
    public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
        putAllCalls++;
        entries.forEach(entry -> put(entry.key, entry.value));
    }

    @Override
    public byte[] delete(Bytes key) {
        return map.remove(key);
    }

    @Override
    public byte[] get(Bytes key) {
        return map.get(key);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
        return iterator(map.subMap(from, true, to, true));
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
        return iterator(map);
    }

    private static KeyValueIterator<Bytes, byte[]> iterator(NavigableMap<Bytes, byte[]> view) {
        Iterator<Map.Entry<Bytes, byte[]>> entries = new TreeMap<>(view).entrySet().iterator();
        return new KeyValueIterator<>() {
            @Override
            public void close() {}

            @Override
            public Bytes peekNextKey() {
                throw new UnsupportedOperationException();
            }

            @Override
            public boolean hasNext() {
                return entries.hasNext();
            }

            @Override
            public KeyValue<Bytes, byte[]> next() {
                Map.Entry<Bytes, byte[]> entry = entries.next();
                return KeyValue.pair(entry.getKey(), entry.getValue());
            }
        };
    }

    @Override
    public long approximateNumEntries() {
        return map.size();
    }

    @Override
    public String name() {
        return "tree-map";
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {}

    @Override
    public void flush() {}

    @Override
    public void close() {}

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return true;
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        throw new UnsupportedOperationException();
    }

    @Override
    public Position getPosition() {
        return Position.emptyPosition();
    }
}
