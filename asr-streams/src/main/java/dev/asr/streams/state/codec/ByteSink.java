package dev.asr.streams.state.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable byte buffer with the encodings the state codecs use: zigzag varints, length-prefixed UTF-8. */
public final class ByteSink {

    private byte[] bytes;
    private int size;

    public ByteSink(int capacity) {
        this.bytes = new byte[Math.max(16, capacity)];
    }

    public ByteSink writeByte(int b) {
        ensure(1);
        bytes[size++] = (byte) b;
        return this;
    }

    /** A signed long in 1 to 10 bytes: small magnitudes, positive or negative, take few. */
    public ByteSink writeVarLong(long value) {
        long zigzag = (value << 1) ^ (value >> 63);
        ensure(10);
        while ((zigzag & ~0x7FL) != 0) {
            bytes[size++] = (byte) ((zigzag & 0x7F) | 0x80);
            zigzag >>>= 7;
        }
        bytes[size++] = (byte) zigzag;
        return this;
    }

    /** A long in 8 big-endian bytes: keys that must sort by it. */
    public ByteSink writeFixedLong(long value) {
        ensure(8);
        for (int shift = 56; shift >= 0; shift -= 8) {
            bytes[size++] = (byte) (value >>> shift);
        }
        return this;
    }

    public ByteSink writeString(String value) {
        byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
        writeVarLong(utf8.length);
        return writeRaw(utf8);
    }

    public ByteSink writeRaw(byte[] raw) {
        ensure(raw.length);
        System.arraycopy(raw, 0, bytes, size, raw.length);
        size += raw.length;
        return this;
    }

    public byte[] toArray() {
        return Arrays.copyOf(bytes, size);
    }

    private void ensure(int more) {
        if (size + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
        }
    }
}
