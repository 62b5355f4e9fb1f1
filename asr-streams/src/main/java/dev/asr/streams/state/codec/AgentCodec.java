package dev.asr.streams.state.codec;

import dev.asr.event.Band;
import dev.asr.streams.agent.Agent;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.clock.AgentClock;
import dev.asr.streams.figures.Figures;
import dev.asr.streams.window.AgentWindows;
import dev.asr.streams.window.RollingViews;

/**
 * An {@link Agent} in stored form (its open tasks are stored apart): format version, clock (high
 * water, closed-up-to), band, each view's length and sums, each open bucket's start and sums.
 * Bounded by the configuration, never by the agent's event count.
 */
public final class AgentCodec {

    private static final int VERSION = 1;

    private AgentCodec() {}

    public static byte[] encode(Agent agent) {
        ByteSink out = new ByteSink(256);
        out.writeByte(VERSION);
        out.writeVarLong(agent.clock().highWater());
        out.writeVarLong(agent.clock().closedUpTo());
        out.writeByte(agent.band().ordinal());
        RollingViews views = agent.windows().views();
        out.writeVarLong(views.count());
        for (int v = 0; v < views.count(); v++) {
            out.writeVarLong(views.length(v));
            FiguresCodec.write(views.sums(v), out);
        }
        AgentWindows windows = agent.windows();
        out.writeVarLong(windows.openCount());
        for (int i = 0; i < windows.openCount(); i++) {
            out.writeVarLong(windows.openStart(i));
            FiguresCodec.write(windows.openSums(i), out);
        }
        return out.toArray();
    }

    /** The agent as saved, its clock's silence counted from {@code wallNow}. */
    public static Agent decode(AgentKey key, byte[] bytes, long bucketMs, long graceMs, long wallNow) {
        ByteSource in = new ByteSource(bytes);
        int version = in.readByte();
        if (version != VERSION) {
            throw new IllegalStateException("agent " + key + " was saved in format " + version + ", which this version cannot read:"
                    + " reset the application's state (see the README's Upgrading section)");
        }
        long highWater = in.readVarLong();
        long closedUpTo = in.readVarLong();
        Band band = Band.values()[in.readByte()];
        int viewCount = (int) in.readVarLong();
        long[] lengths = new long[viewCount];
        Figures[] sums = new Figures[viewCount];
        for (int v = 0; v < viewCount; v++) {
            lengths[v] = in.readVarLong();
            sums[v] = FiguresCodec.read(in);
        }
        int openCount = (int) in.readVarLong();
        long[] starts = new long[openCount];
        Figures[] open = new Figures[openCount];
        for (int i = 0; i < openCount; i++) {
            starts[i] = in.readVarLong();
            open[i] = FiguresCodec.read(in);
        }
        return new Agent(key, AgentClock.restore(bucketMs, graceMs, highWater, closedUpTo, wallNow),
                new AgentWindows(new RollingViews(lengths, sums), starts, open), band);
    }
}
