package dev.asr.streams.window;

import dev.asr.streams.figures.Figures;
import java.util.Arrays;

/**
 * One agent's rolling views: for each view length, the running sums of the closed buckets within
 * it. A bucket enters every view when it closes and leaves each when it is older than the view, so
 * a view is always the exact sum of its buckets. The lengths are kept with the sums: a changed
 * {@code asr.views} is noticed and the sums rebuilt from the buckets.
 */
public final class RollingViews {

    private final long[] lengths;
    private final Figures[] sums;

    public RollingViews(long[] lengths) {
        this(lengths, emptySums(lengths.length));
    }

    public RollingViews(long[] lengths, Figures[] sums) {
        if (lengths.length != sums.length) {
            throw new IllegalArgumentException(lengths.length + " view lengths but " + sums.length + " sums");
        }
        this.lengths = lengths.clone();
        this.sums = sums.clone();
    }

    private static Figures[] emptySums(int count) {
        Figures[] sums = new Figures[count];
        for (int i = 0; i < count; i++) {
            sums[i] = new Figures();
        }
        return sums;
    }

    public int count() {
        return lengths.length;
    }

    public long length(int view) {
        return lengths[view];
    }

    /** The running sums of one view (live: the caller may read, the windows change them). */
    public Figures sums(int view) {
        return sums[view];
    }

    public boolean hasLengths(long[] expected) {
        return Arrays.equals(lengths, expected);
    }

    public boolean allEmpty() {
        for (Figures view : sums) {
            if (!view.isEmpty()) {
                return false;
            }
        }
        return true;
    }
}
