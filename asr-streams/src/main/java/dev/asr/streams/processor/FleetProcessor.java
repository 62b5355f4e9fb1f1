package dev.asr.streams.processor;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.bands.BandRules;
import dev.asr.streams.bands.Evidence;
import dev.asr.streams.figures.Basket;
import dev.asr.streams.fleet.FleetInput;
import dev.asr.streams.fleet.FleetRollup;
import dev.asr.streams.state.AsrStores;
import dev.asr.streams.state.FleetWindowStore;
import dev.asr.streams.state.codec.ByteSink;
import dev.asr.streams.state.codec.ByteSource;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The fleet side of the topology: agents' windows and the input partitions' watermarks arrive
 * keyed by fleet (watermarks to every partition); the {@link FleetRollup} sums them and says which
 * fleet windows to write. A fleet row is rated by the plain thresholds ({@link BandRules#withoutHistory}).
 */
public final class FleetProcessor extends ContextualProcessor<String, FleetInput, String, AgentWindowMetrics> {

    public static final Bytes PROGRESS = Bytes.wrap("progress".getBytes(StandardCharsets.UTF_8));

    private final StreamsSettings settings;
    private final PipelineCounters.Cell counters;
    private final long keepMs;
    private KeyValueStore<Bytes, byte[]> progress;
    private FleetRollup rollup;

    public FleetProcessor(StreamsSettings settings, PipelineCounters counters) {
        this.settings = settings;
        this.counters = counters.cell();
        this.keepMs = settings.longestView().plus(settings.fleetMaxWait()).toMillis();
    }

    @Override
    public void init(ProcessorContext<String, AgentWindowMetrics> context) {
        super.init(context);
        progress = context.getStateStore(AsrStores.FLEET_PROGRESS);
        Long[] sources = new Long[0];
        long writtenUpTo = Long.MIN_VALUE;
        byte[] saved = progress.get(PROGRESS);
        if (saved != null) {
            ByteSource in = new ByteSource(saved);
            writtenUpTo = in.readVarLong();
            sources = new Long[(int) in.readVarLong()];
            for (int i = 0; i < sources.length; i++) {
                sources[i] = in.readByte() == 1 ? in.readVarLong() : null;
            }
        }
        rollup = new FleetRollup(new FleetWindowStore(context.getStateStore(AsrStores.FLEET_WINDOWS)), keepMs, sources, writtenUpTo);
    }

    @Override
    public void process(Record<String, FleetInput> record) {
        if (record.value() instanceof FleetInput.Contribution contribution) {
            long dropped = rollup.dropped();
            write(rollup.onContribution(contribution));
            if (rollup.dropped() > dropped) {
                counters.fleetContributionDropped();
            }
        } else if (record.value() instanceof FleetInput.Watermark watermark) {
            write(rollup.onWatermark(watermark));
            saveProgress();
        }
    }

    private void write(List<FleetRollup.Row> rows) {
        for (FleetRollup.Row row : rows) {
            context().forward(new Record<>(row.key().fleet(), row(settings, row.key(), row.window()), row.key().endMs(), new RecordHeaders()));
        }
    }

    /** A fleet window as its metrics row: the band from the window's own evidence (a fleet has no band history). */
    public static AgentWindowMetrics row(StreamsSettings settings, FleetRollup.WindowKey key, FleetRollup.Accumulated window) {
        Band band = BandRules.withoutHistory(Evidence.of(window.sums), settings.bands().forFleet(key.fleet()));
        Basket.Window at = new Basket.Window(null, key.fleet(), key.view(), window.startMs, key.endMs(), settings.currency(),
                window.lastEventAt == Long.MIN_VALUE ? null : window.lastEventAt);
        return Basket.metrics(at, window.sums, window.openSpend, band, window.agents);
    }

    /** How far the roll-up has written fleet rows, from its saved progress ({@link #PROGRESS} in the progress store). */
    public static long writtenUpTo(byte[] saved) {
        return saved == null ? Long.MIN_VALUE : new ByteSource(saved).readVarLong();
    }

    private void saveProgress() {
        Long[] sources = rollup.sources();
        ByteSink out = new ByteSink(16 + 10 * sources.length).writeVarLong(rollup.writtenUpTo()).writeVarLong(sources.length);
        for (Long source : sources) {
            if (source == null) {
                out.writeByte(0);
            } else {
                out.writeByte(1).writeVarLong(source);
            }
        }
        progress.put(PROGRESS, out.toArray());
    }
}
