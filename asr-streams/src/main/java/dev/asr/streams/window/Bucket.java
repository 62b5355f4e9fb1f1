package dev.asr.streams.window;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Bytes;

/**
 * One agent's figures in one tumbling bucket, with the agent's fleet. Stored under a key that sorts
 * by bucket start first, so one prefix scan finds every agent active in a bucket.
 */
public final class Bucket {

    public final String fleet;
    public final Figures figures;

    public Bucket(String fleet, Figures figures) {
        this.fleet = fleet;
        this.figures = figures;
    }

    public byte[] toBytes() {
        byte[] fleetBytes = fleet.getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(Figures.BYTES + fleetBytes.length);
        figures.writeTo(out);
        out.put(fleetBytes);
        return out.array();
    }

    public static Bucket fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        Figures figures = Figures.readFrom(in);
        return new Bucket(new String(bytes, Figures.BYTES, bytes.length - Figures.BYTES, StandardCharsets.UTF_8), figures);
    }

    /** Bucket start (8 bytes, big-endian: sorts by time) then the agent id. */
    public static Bytes key(long bucketStart, String agentId) {
        byte[] agent = agentId.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES + agent.length).putLong(bucketStart).put(agent).array());
    }

    public static Bytes prefix(long bucketStart) {
        return Bytes.wrap(ByteBuffer.allocate(Long.BYTES).putLong(bucketStart).array());
    }

    public static String agentOf(Bytes key) {
        byte[] bytes = key.get();
        return new String(bytes, Long.BYTES, bytes.length - Long.BYTES, StandardCharsets.UTF_8);
    }
}
