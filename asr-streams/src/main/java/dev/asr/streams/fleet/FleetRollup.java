package dev.asr.streams.fleet;

import dev.asr.streams.figures.Figures;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The fleet roll-up (SPEC §2: every figure per fleet too): each fleet's window is the sum of its
 * agents' windows, and is written once, when it is <em>complete</em>: when every input partition
 * has said (a {@link FleetInput.Watermark}) that its agents have written that window. An agent's
 * row that still comes later (an agent new to a partition, one lagging beyond {@code
 * asr.fleet.max-wait}) adds to the window and writes it again, corrected.
 *
 * <p>Pure rules over {@link Windows}; the caller saves {@link #sources()} and {@link #writtenUpTo()}.
 */
public final class FleetRollup {

    /** A fleet window's identity: its end, view and fleet. */
    public record WindowKey(long endMs, String view, String fleet) {}

    /** What a fleet window holds so far. */
    public static final class Accumulated {
        public final long startMs;
        public final Figures sums;
        public long openSpend;
        public int agents;
        public long lastEventAt;
        public boolean written;

        public Accumulated(long startMs, Figures sums, long openSpend, int agents, long lastEventAt, boolean written) {
            this.startMs = startMs;
            this.sums = sums;
            this.openSpend = openSpend;
            this.agents = agents;
            this.lastEventAt = lastEventAt;
            this.written = written;
        }
    }

    /** A fleet window to write now. */
    public record Row(WindowKey key, Accumulated window) {}

    /** The fleet windows held, by end then view then fleet. */
    public interface Windows {
        Accumulated get(WindowKey key);

        void put(WindowKey key, Accumulated window);

        /** Visits the windows ending in ({@code after}, {@code upTo}], in order. */
        void forEachEnding(long after, long upTo, BiConsumer<WindowKey, Accumulated> action);

        /** Deletes the windows ending before {@code end}. */
        void deleteEndingBefore(long end);
    }

    private final Windows windows;
    private final long keepMs;
    /** Per input partition, its last watermark; null where none came yet. */
    private Long[] sources;
    private long writtenUpTo;
    private long dropped;

    /**
     * @param keepMs how long after it is written a window is kept for corrections
     * @param sources each input partition's last watermark (null: none yet), as saved
     * @param writtenUpTo every window ending at or before this has been written, as saved
     */
    public FleetRollup(Windows windows, long keepMs, Long[] sources, long writtenUpTo) {
        this.windows = windows;
        this.keepMs = keepMs;
        this.sources = sources.clone();
        this.writtenUpTo = writtenUpTo;
    }

    /** Adds an agent's window; returns the fleet window to write when it is one already complete (a correction or a late first). */
    public List<Row> onContribution(FleetInput.Contribution c) {
        if (writtenUpTo != Long.MIN_VALUE && c.endMs() < writtenUpTo - keepMs) {
            dropped++;
            return List.of();
        }
        WindowKey key = new WindowKey(c.endMs(), c.view(), c.fleet());
        Accumulated window = windows.get(key);
        if (window == null) {
            window = new Accumulated(c.startMs(), new Figures(), 0, 0, Long.MIN_VALUE, false);
        }
        window.sums.plus(c.sums());
        window.openSpend = Figures.sum(window.openSpend, c.openSpend());
        window.agents++;
        window.lastEventAt = Math.max(window.lastEventAt, c.lastEventAt());
        boolean complete = c.endMs() <= writtenUpTo;
        window.written |= complete;
        windows.put(key, window);
        return complete ? List.of(new Row(key, window)) : List.of();
    }

    /** Takes an input partition's watermark; returns the fleet windows it completes, in order of end. */
    public List<Row> onWatermark(FleetInput.Watermark w) {
        if (sources.length != w.sources()) {
            sources = Arrays.copyOf(sources, w.sources());
        }
        sources[w.source()] = w.upTo();
        long complete = completeUpTo();
        if (complete <= writtenUpTo || complete == Long.MIN_VALUE) {
            return List.of();
        }
        List<Row> rows = new ArrayList<>();
        List<WindowKey> written = new ArrayList<>();
        windows.forEachEnding(writtenUpTo, complete, (key, window) -> {
            if (!window.written) {
                window.written = true;
                rows.add(new Row(key, window));
                written.add(key);
            }
        });
        for (Row row : rows) {
            windows.put(row.key(), row.window());
        }
        writtenUpTo = complete == PartitionWatermark.EMPTY ? maxEnd(rows, writtenUpTo) : complete;
        windows.deleteEndingBefore(writtenUpTo - keepMs);
        return rows;
    }

    /** The earliest watermark of all input partitions, or Long.MIN_VALUE while one has not reported. */
    long completeUpTo() {
        long earliest = PartitionWatermark.EMPTY;
        for (Long source : sources) {
            if (source == null) {
                return Long.MIN_VALUE;
            }
            earliest = Math.min(earliest, source);
        }
        return sources.length == 0 ? Long.MIN_VALUE : earliest;
    }

    public Long[] sources() {
        return sources.clone();
    }

    public long writtenUpTo() {
        return writtenUpTo;
    }

    /** Contributions for windows older than the kept ones, not added (counted). */
    public long dropped() {
        return dropped;
    }

    private static long maxEnd(List<Row> rows, long floor) {
        long max = floor;
        for (Row row : rows) {
            max = Math.max(max, row.key().endMs());
        }
        return max;
    }

}
