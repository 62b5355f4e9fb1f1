package dev.asr.streams.window;

import dev.asr.event.Band;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One agent's rolling views: the running sums of each view (a bucket enters when it closes and
 * leaves when it is older than the view), the agent's band and fleet. The view lengths are stored
 * too, so a changed {@code asr.views} is noticed and the sums rebuilt from the buckets.
 */
public final class RollingViews {

    public String fleet;
    public Band band;
    public final long[] lengths;
    public final Figures[] views;

    public RollingViews(String fleet, Band band, long[] lengths) {
        this.fleet = fleet;
        this.band = band;
        this.lengths = lengths.clone();
        this.views = new Figures[lengths.length];
        for (int i = 0; i < views.length; i++) {
            views[i] = new Figures();
        }
    }

    public boolean allEmpty() {
        return Arrays.stream(views).allMatch(Figures::isEmpty);
    }

    public boolean hasLengths(long[] expected) {
        return Arrays.equals(lengths, expected);
    }

    public byte[] toBytes() {
        byte[] fleetBytes = fleet.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(1 + 4 + lengths.length * (Long.BYTES + Figures.BYTES) + fleetBytes.length);
        out.put((byte) band.ordinal()).putInt(lengths.length);
        for (int i = 0; i < lengths.length; i++) {
            out.putLong(lengths[i]);
            views[i].writeTo(out);
        }
        out.put(fleetBytes);
        return out.array();
    }

    public static RollingViews fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        Band band = Band.values()[in.get()];
        int count = in.getInt();
        long[] lengths = new long[count];
        Figures[] figures = new Figures[count];
        for (int i = 0; i < count; i++) {
            lengths[i] = in.getLong();
            figures[i] = Figures.readFrom(in);
        }
        String fleet = new String(bytes, in.position(), bytes.length - in.position(), StandardCharsets.UTF_8);
        RollingViews views = new RollingViews(fleet, band, lengths);
        System.arraycopy(figures, 0, views.views, 0, count);
        return views;
    }
}
