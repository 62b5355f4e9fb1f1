package dev.asr.streams.state;

import dev.asr.streams.agent.AgentKey;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The keys of the agent-side stores. Every key starts with the agent's stored form ({@link
 * AgentKey#bytes()}), so one agent's entries sort together; parts are joined by {@link
 * AgentKey#SEPARATOR}, a control character no id may hold.
 */
public final class StoreKeys {

    private StoreKeys() {}

    /** An open task: agent, separator, task id. */
    public static byte[] task(AgentKey agent, String taskId) {
        return join(agent.bytes(), taskId.getBytes(StandardCharsets.UTF_8));
    }

    /** Splits a task key into the agent and the task id. */
    public static AgentKey agentOfTask(byte[] key) {
        return AgentKey.fromBytes(key, 0, lastSeparator(key));
    }

    public static String taskIdOf(byte[] key) {
        int split = lastSeparator(key);
        return new String(key, split + 1, key.length - split - 1, StandardCharsets.UTF_8);
    }

    /** A bucket of an agent: agent, separator, start as 8 big-endian bytes (so an agent's buckets sort by time). */
    public static byte[] bucket(AgentKey agent, long start) {
        byte[] prefix = agent.bytes();
        byte[] key = Arrays.copyOf(prefix, prefix.length + 1 + Long.BYTES);
        key[prefix.length] = AgentKey.SEPARATOR;
        for (int i = 0; i < Long.BYTES; i++) {
            key[prefix.length + 1 + i] = (byte) (start >>> (56 - 8 * i));
        }
        return key;
    }

    /** The start of the bucket under {@code key}. */
    public static long bucketStartOf(byte[] key) {
        long start = 0;
        for (int i = key.length - Long.BYTES; i < key.length; i++) {
            start = (start << 8) | (key[i] & 0xFF);
        }
        return start;
    }

    /** An id remembered for an agent: a kind byte, the agent, separator, the id. */
    public static byte[] seen(byte kind, AgentKey agent, String id) {
        byte[] prefix = agent.bytes();
        byte[] idBytes = id.getBytes(StandardCharsets.UTF_8);
        byte[] key = new byte[1 + prefix.length + 1 + idBytes.length];
        key[0] = kind;
        System.arraycopy(prefix, 0, key, 1, prefix.length);
        key[1 + prefix.length] = AgentKey.SEPARATOR;
        System.arraycopy(idBytes, 0, key, prefix.length + 2, idBytes.length);
        return key;
    }

    private static byte[] join(byte[] prefix, byte[] rest) {
        byte[] key = Arrays.copyOf(prefix, prefix.length + 1 + rest.length);
        key[prefix.length] = AgentKey.SEPARATOR;
        System.arraycopy(rest, 0, key, prefix.length + 1, rest.length);
        return key;
    }

    private static int lastSeparator(byte[] key) {
        for (int i = key.length - 1; i >= 0; i--) {
            if (key[i] == AgentKey.SEPARATOR) {
                return i;
            }
        }
        throw new IllegalArgumentException("not a stored task key");
    }
}
