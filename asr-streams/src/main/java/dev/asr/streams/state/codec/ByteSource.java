package dev.asr.streams.state.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Reads what a {@link ByteSink} wrote. */
public final class ByteSource {

    private final byte[] bytes;
    private int position;

    public ByteSource(byte[] bytes) {
        this(bytes, 0);
    }

    public ByteSource(byte[] bytes, int offset) {
        this.bytes = bytes;
        this.position = offset;
    }

    public int readByte() {
        return bytes[position++] & 0xFF;
    }

    public long readVarLong() {
        long zigzag = 0;
        int shift = 0;
        while (true) {
            byte b = bytes[position++];
            zigzag |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                break;
            }
            shift += 7;
            if (shift > 63) {
                throw new IllegalStateException("a varint longer than 10 bytes at " + position + ": the state is corrupt");
            }
        }
        return (zigzag >>> 1) ^ -(zigzag & 1);
    }

    public long readFixedLong() {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = (value << 8) | (bytes[position++] & 0xFF);
        }
        return value;
    }

    public String readString() {
        int length = (int) readVarLong();
        String value = new String(bytes, position, length, StandardCharsets.UTF_8);
        position += length;
        return value;
    }

    public byte[] readBytes(int length) {
        byte[] bytes = Arrays.copyOfRange(this.bytes, position, position + length);
        position += length;
        return bytes;
    }

    public boolean hasMore() {
        return position < bytes.length;
    }

    public int position() {
        return position;
    }
}
