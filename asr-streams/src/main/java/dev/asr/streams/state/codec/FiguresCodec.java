package dev.asr.streams.state.codec;

import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;

/**
 * {@link Figures} in stored form: how many sums, then each as a zigzag varint in {@link Figure}
 * order. A zero takes one byte, a typical bucket about 40. State written before a figure existed
 * has fewer sums: the rest read as 0.
 */
public final class FiguresCodec {

    private FiguresCodec() {}

    public static void write(Figures figures, ByteSink out) {
        out.writeVarLong(Figure.COUNT);
        for (Figure figure : Figure.values()) {
            out.writeVarLong(figures.get(figure));
        }
    }

    public static Figures read(ByteSource in) {
        int count = (int) in.readVarLong();
        long[] sums = new long[Math.max(count, Figure.COUNT)];
        for (int i = 0; i < count; i++) {
            sums[i] = in.readVarLong();
        }
        return Figures.of(sums);
    }

    public static byte[] encode(Figures figures) {
        ByteSink out = new ByteSink(48);
        write(figures, out);
        return out.toArray();
    }

    public static Figures decode(byte[] bytes) {
        return read(new ByteSource(bytes));
    }
}
