package dev.asr.streams.window;

import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.figures.Figures;
import java.util.Arrays;

/**
 * One agent's windows (SPEC §4): the tumbling buckets still open, and the rolling views summed
 * from the closed ones. Views are never hopping windows: when a bucket closes it is added to every
 * view, and for each view the bucket that just fell out of it is subtracted, read back from the
 * closed buckets. A closed bucket is kept while the longest view holds it.
 *
 * <p>Pure rules over {@link ClosedBuckets}; the agent's clock says which buckets are open and when
 * one closes.
 */
public final class AgentWindows {

    private RollingViews views;
    /** Open buckets, by start; a handful at most (grace / bucket + 2). */
    private long[] openStarts;
    private Figures[] openSums;
    private int openCount;

    public AgentWindows(long[] viewLengths) {
        this(new RollingViews(viewLengths), new long[0], new Figures[0]);
    }

    /** Windows as they were saved: the views and the open buckets (starts and sums, same order). */
    public AgentWindows(RollingViews views, long[] openStarts, Figures[] openSums) {
        this.views = views;
        this.openCount = openStarts.length;
        this.openStarts = Arrays.copyOf(openStarts, Math.max(4, openCount));
        this.openSums = Arrays.copyOf(openSums, Math.max(4, openCount));
    }

    public RollingViews views() {
        return views;
    }

    /** The open bucket starting at {@code start}, new and empty if nothing was counted in it yet. */
    public Figures bucket(long start) {
        for (int i = 0; i < openCount; i++) {
            if (openStarts[i] == start) {
                return openSums[i];
            }
        }
        if (openCount == openStarts.length) {
            openStarts = Arrays.copyOf(openStarts, openCount * 2);
            openSums = Arrays.copyOf(openSums, openCount * 2);
        }
        Figures created = new Figures();
        openStarts[openCount] = start;
        openSums[openCount] = created;
        openCount++;
        return created;
    }

    public int openCount() {
        return openCount;
    }

    public long openStart(int i) {
        return openStarts[i];
    }

    public Figures openSums(int i) {
        return openSums[i];
    }

    /**
     * What closing a bucket did: whether anything had been counted in it ({@code touched}; an event
     * with no cost still touches its bucket), whether the views were empty before, and whether every
     * sum stayed exact.
     */
    public record Closed(boolean touched, boolean wasQuiet, boolean exact) {

        /** Nothing to report: the agent's views were empty and stay so (an agent's first buckets, before its first event's). */
        public boolean nothingToReport() {
            return !touched && wasQuiet;
        }
    }

    /**
     * Closes the bucket starting at {@code start}: it enters every view, and each view's oldest
     * bucket ({@code start} minus the view's length) leaves it. The bucket is kept while within the
     * longest view; the one that just left it is deleted.
     */
    public Closed close(AgentKey agent, long start, ClosedBuckets closed) {
        boolean wasQuiet = views.allEmpty();
        boolean touched = hasOpen(start);
        Figures closing = takeOpen(start);
        boolean exact = true;
        long longest = 0;
        for (int v = 0; v < views.count(); v++) {
            long length = views.length(v);
            longest = Math.max(longest, length);
            if (closing != null) {
                exact &= views.sums(v).plus(closing);
            }
            Figures leaving = closed.get(agent, start - length);
            if (leaving != null) {
                exact &= views.sums(v).minus(leaving);
            }
        }
        if (closing != null) {
            closed.put(agent, start, closing);
        }
        closed.delete(agent, start - longest);
        return new Closed(touched, wasQuiet, exact);
    }

    private boolean hasOpen(long start) {
        for (int i = 0; i < openCount; i++) {
            if (openStarts[i] == start) {
                return true;
            }
        }
        return false;
    }

    /**
     * The views were saved under other lengths ({@code asr.views} changed): sums them again from
     * the closed buckets, as of the earliest open bucket {@code closedUpTo}, and deletes the buckets
     * no view reaches any more. A view longer than any before is complete once it has run its length.
     */
    public void rebuild(AgentKey agent, long[] lengths, long closedUpTo, ClosedBuckets closed) {
        RollingViews rebuilt = new RollingViews(lengths);
        long longest = 0;
        for (int v = 0; v < lengths.length; v++) {
            Figures sums = rebuilt.sums(v);
            closed.forEach(agent, closedUpTo - lengths[v], closedUpTo, (start, bucket) -> sums.plus(bucket));
            longest = Math.max(longest, lengths[v]);
        }
        closed.deleteBefore(agent, closedUpTo - longest);
        views = rebuilt;
    }

    /** True when nothing is left to report: every view empty and no open bucket holding anything. */
    public boolean quiet() {
        for (int i = 0; i < openCount; i++) {
            if (!openSums[i].isEmpty()) {
                return false;
            }
        }
        return views.allEmpty();
    }

    private Figures takeOpen(long start) {
        for (int i = 0; i < openCount; i++) {
            if (openStarts[i] == start) {
                Figures taken = openSums[i];
                openCount--;
                openStarts[i] = openStarts[openCount];
                openSums[i] = openSums[openCount];
                openSums[openCount] = null;
                return taken.isEmpty() ? null : taken;
            }
        }
        return null;
    }
}
