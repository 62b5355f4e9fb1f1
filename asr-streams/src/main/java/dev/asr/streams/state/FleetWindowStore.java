package dev.asr.streams.state;

import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.fleet.FleetRollup;
import dev.asr.streams.state.codec.ByteSink;
import dev.asr.streams.state.codec.ByteSource;
import dev.asr.streams.state.codec.FiguresCodec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * {@link FleetRollup.Windows} in the {@link AsrStores#FLEET_WINDOWS} store. Keys start with the
 * window end (8 big-endian bytes), so a range walks time; then view and fleet.
 */
public final class FleetWindowStore implements FleetRollup.Windows {

    private final KeyValueStore<Bytes, byte[]> store;

    public FleetWindowStore(KeyValueStore<Bytes, byte[]> store) {
        this.store = store;
    }

    @Override
    public FleetRollup.Accumulated get(FleetRollup.WindowKey key) {
        byte[] bytes = store.get(key(key.endMs(), key.view(), key.fleet()));
        return bytes == null ? null : decode(bytes);
    }

    @Override
    public void put(FleetRollup.WindowKey key, FleetRollup.Accumulated window) {
        store.put(key(key.endMs(), key.view(), key.fleet()), encode(window));
    }

    @Override
    public void forEachEnding(long after, long upTo, BiConsumer<FleetRollup.WindowKey, FleetRollup.Accumulated> action) {
        List<KeyValue<FleetRollup.WindowKey, FleetRollup.Accumulated>> found = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> range = store.range(bound(after == Long.MIN_VALUE ? Long.MIN_VALUE : after + 1),
                bound(upTo == Long.MAX_VALUE ? Long.MAX_VALUE : upTo + 1))) {
            while (range.hasNext()) {
                KeyValue<Bytes, byte[]> entry = range.next();
                FleetRollup.WindowKey key = windowKey(entry.key.get());
                if (key.endMs() > after && key.endMs() <= upTo) {
                    found.add(KeyValue.pair(key, decode(entry.value)));
                }
            }
        }
        found.forEach(entry -> action.accept(entry.key, entry.value));
    }

    @Override
    public void deleteEndingBefore(long end) {
        List<Bytes> old = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> range = store.range(bound(Long.MIN_VALUE), bound(end))) {
            while (range.hasNext()) {
                KeyValue<Bytes, byte[]> entry = range.next();
                if (windowKey(entry.key.get()).endMs() < end) {
                    old.add(entry.key);
                }
            }
        }
        old.forEach(store::delete);
    }

    /** The smallest key of windows ending at {@code end}. Ends are event times: after 1970, so unsigned order is time order. */
    private static Bytes bound(long end) {
        return Bytes.wrap(new ByteSink(8).writeFixedLong(Math.max(0, end)).toArray());
    }

    /** The key of a fleet's window of {@code view} ending at {@code end}. */
    public static Bytes key(long end, String view, String fleet) {
        return Bytes.wrap(new ByteSink(32).writeFixedLong(end).writeRaw((view + AgentKey.SEPARATOR + fleet).getBytes(StandardCharsets.UTF_8))
                .toArray());
    }

    private static FleetRollup.WindowKey windowKey(byte[] key) {
        long end = new ByteSource(key).readFixedLong();
        String rest = new String(key, Long.BYTES, key.length - Long.BYTES, StandardCharsets.UTF_8);
        int split = rest.indexOf(AgentKey.SEPARATOR);
        return new FleetRollup.WindowKey(end, rest.substring(0, split), rest.substring(split + 1));
    }

    private static byte[] encode(FleetRollup.Accumulated window) {
        ByteSink out = new ByteSink(64).writeVarLong(window.startMs).writeVarLong(window.openSpend).writeVarLong(window.agents)
                .writeVarLong(window.lastEventAt).writeByte(window.written ? 1 : 0);
        FiguresCodec.write(window.sums, out);
        return out.toArray();
    }

    /** A stored window. */
    public static FleetRollup.Accumulated decode(byte[] bytes) {
        ByteSource in = new ByteSource(bytes);
        long start = in.readVarLong();
        long openSpend = in.readVarLong();
        int agents = (int) in.readVarLong();
        long lastEventAt = in.readVarLong();
        boolean written = in.readByte() == 1;
        return new FleetRollup.Accumulated(start, FiguresCodec.read(in), openSpend, agents, lastEventAt, written);
    }
}
