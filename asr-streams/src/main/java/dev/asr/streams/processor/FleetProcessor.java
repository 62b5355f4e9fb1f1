package dev.asr.streams.processor;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.bands.BandRules;
import dev.asr.streams.bands.BandThresholds;
import dev.asr.streams.state.AsrStores;
import dev.asr.streams.window.Basket;
import dev.asr.streams.window.Figures;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Rolls agents' windows up per fleet. Agent rows arrive keyed by fleet (repartitioned), from every
 * input partition; a fleet's window is written once {@code asr.fleet.emit-delay} has passed after
 * its end, by then every partition has closed it. A contribution that still comes later rewrites
 * the fleet's row for that window, corrected.
 *
 * <p>A fleet row's band is the band its ASR falls in by the fleet's plain thresholds (fleets have no
 * hysteresis of their own; agents do).
 */
public final class FleetProcessor extends ContextualProcessor<String, AgentWindowMetrics, String, AgentWindowMetrics> {

    private static final String CLOCK_KEY = "clock";
    private static final int HEADER = 1 + Integer.BYTES + Long.BYTES + Long.BYTES;

    private final StreamsSettings settings;
    private final long delayMs;
    /** Fleet windows are kept this long after their end for late contributions. */
    private final long keepMs;

    private KeyValueStore<Bytes, byte[]> windows;
    private KeyValueStore<String, byte[]> clock;
    private long latestEnd = Long.MIN_VALUE;
    private long emittedUpTo = Long.MIN_VALUE;
    private long wallAtLatestEnd;

    public FleetProcessor(StreamsSettings settings) {
        this.settings = settings;
        this.delayMs = settings.fleetEmitDelay().toMillis();
        this.keepMs = delayMs + settings.longestView().toMillis();
    }

    @Override
    public void init(ProcessorContext<String, AgentWindowMetrics> context) {
        super.init(context);
        windows = context.getStateStore(AsrStores.FLEET_WINDOWS);
        clock = context.getStateStore(AsrStores.FLEET_CLOCK);
        latestEnd = Long.MIN_VALUE;
        emittedUpTo = Long.MIN_VALUE;
        byte[] saved = clock.get(CLOCK_KEY);
        if (saved != null) {
            ByteBuffer in = ByteBuffer.wrap(saved);
            latestEnd = in.getLong();
            emittedUpTo = in.getLong();
        }
        wallAtLatestEnd = context.currentSystemTimeMs();
        context.schedule(settings.wallClockInterval(), PunctuationType.WALL_CLOCK_TIME,
                now -> emitDue(latestEnd == Long.MIN_VALUE ? Long.MIN_VALUE : latestEnd + Math.max(0, now - wallAtLatestEnd)));
    }

    @Override
    public void process(Record<String, AgentWindowMetrics> record) {
        AgentWindowMetrics row = record.value();
        long end = row.getWindowEnd().toEpochMilli();
        Bytes key = key(end, row.getWindow(), row.getFleet());
        byte[] saved = windows.get(key);
        Accumulator acc = saved == null ? new Accumulator(row.getWindowStart().toEpochMilli()) : Accumulator.fromBytes(saved);
        acc.figures.add(Basket.figures(row));
        acc.openSpend += row.getOpenSpendMicros();
        acc.agents++;
        if (acc.emitted) {
            emit(row.getFleet(), row.getWindow(), end, acc);
        }
        windows.put(key, acc.toBytes());
        if (end > latestEnd) {
            latestEnd = end;
            wallAtLatestEnd = context().currentSystemTimeMs();
            saveClock();
        }
        emitDue(latestEnd);
    }

    private void emitDue(long now) {
        if (now == Long.MIN_VALUE || now - delayMs <= emittedUpTo) {
            return;
        }
        long upTo = now - delayMs;
        List<KeyValue<Bytes, Accumulator>> due = new ArrayList<>();
        List<Bytes> expired = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> range = windows.range(null, key(upTo + 1, "", ""))) {
            while (range.hasNext()) {
                KeyValue<Bytes, byte[]> entry = range.next();
                long end = ByteBuffer.wrap(entry.key.get()).getLong();
                Accumulator acc = Accumulator.fromBytes(entry.value);
                if (end + keepMs < now) {
                    expired.add(entry.key);
                } else if (!acc.emitted) {
                    due.add(KeyValue.pair(entry.key, acc));
                }
            }
        }
        for (KeyValue<Bytes, Accumulator> entry : due) {
            byte[] key = entry.key.get();
            long end = ByteBuffer.wrap(key).getLong();
            String rest = new String(key, Long.BYTES, key.length - Long.BYTES, StandardCharsets.UTF_8);
            int split = rest.indexOf('\u001f');
            entry.value.emitted = true;
            emit(rest.substring(split + 1), rest.substring(0, split), end, entry.value);
            windows.put(entry.key, entry.value.toBytes());
        }
        expired.forEach(windows::delete);
        emittedUpTo = upTo;
        saveClock();
    }

    private void emit(String fleet, String view, long end, Accumulator acc) {
        BandThresholds thresholds = settings.bands().forFleet(fleet);
        Band band = acc.figures.spend == 0 || acc.figures.settledTasks < thresholds.minTasks() ? Band.UNRATED
                : BandRules.plain((double) acc.figures.autonomousSpend / acc.figures.spend, thresholds);
        Basket.Window window = new Basket.Window(null, fleet, view, Instant.ofEpochMilli(acc.start), Instant.ofEpochMilli(end),
                settings.currency());
        context().forward(new Record<>(fleet, Basket.metrics(window, acc.figures, acc.openSpend, band, acc.agents), end,
                new RecordHeaders()));
    }

    private void saveClock() {
        clock.put(CLOCK_KEY, ByteBuffer.allocate(2 * Long.BYTES).putLong(latestEnd).putLong(emittedUpTo).array());
    }

    /** Window end first (big-endian, so a range scan walks time), then view and fleet. */
    private static Bytes key(long end, String view, String fleet) {
        byte[] rest = (view + '\u001f' + fleet).getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + rest.length).putLong(end).put(rest).array());
    }

    private static final class Accumulator {
        boolean emitted;
        int agents;
        long openSpend;
        final long start;
        final Figures figures;

        Accumulator(long start) {
            this(start, new Figures());
        }

        private Accumulator(long start, Figures figures) {
            this.start = start;
            this.figures = figures;
        }

        byte[] toBytes() {
            ByteBuffer out = ByteBuffer.allocate(HEADER + Figures.BYTES);
            out.put((byte) (emitted ? 1 : 0)).putInt(agents).putLong(openSpend).putLong(start);
            figures.writeTo(out);
            return out.array();
        }

        static Accumulator fromBytes(byte[] bytes) {
            ByteBuffer in = ByteBuffer.wrap(bytes);
            boolean emitted = in.get() == 1;
            int agents = in.getInt();
            long openSpend = in.getLong();
            long start = in.getLong();
            Accumulator acc = new Accumulator(start, Figures.readFrom(in));
            acc.emitted = emitted;
            acc.agents = agents;
            acc.openSpend = openSpend;
            return acc;
        }
    }
}
