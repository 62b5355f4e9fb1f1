package dev.asr.streams.agent;

import java.nio.charset.StandardCharsets;

/**
 * Who an agent is (SPEC §6 v2): its fleet plus its {@code agent_id}. Two fleets may both have an
 * agent called {@code bot-1}; they are two agents, with their own figures, bands and tasks. The
 * Kafka key stays {@code agent_id} alone, which keeps an agent's spend and outcomes in one partition.
 */
public final class AgentKey {

    /** Separates the parts of a stored key: a control character, which ids may not hold. */
    public static final char SEPARATOR = '\u001f';

    private final String fleet;
    private final String agentId;
    private final int hash;
    private byte[] bytes;

    public AgentKey(String fleet, String agentId) {
        this.fleet = fleet;
        this.agentId = agentId;
        this.hash = 31 * fleet.hashCode() + agentId.hashCode();
    }

    public String fleet() {
        return fleet;
    }

    public String agentId() {
        return agentId;
    }

    /** The stored form: fleet, separator, agent id, in UTF-8 (computed once; do not modify). */
    public byte[] bytes() {
        if (bytes == null) {
            bytes = (fleet + SEPARATOR + agentId).getBytes(StandardCharsets.UTF_8);
        }
        return bytes;
    }

    /** Reads the stored form from {@code bytes[offset, offset + length)}. */
    public static AgentKey fromBytes(byte[] bytes, int offset, int length) {
        String text = new String(bytes, offset, length, StandardCharsets.UTF_8);
        int split = text.indexOf(SEPARATOR);
        if (split < 0) {
            throw new IllegalArgumentException("not a stored agent key: " + text);
        }
        return new AgentKey(text.substring(0, split), text.substring(split + 1));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AgentKey other && hash == other.hash && agentId.equals(other.agentId) && fleet.equals(other.fleet);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    /** {@code fleet/agent_id}: how logs and transition ids name an agent. */
    @Override
    public String toString() {
        return fleet + "/" + agentId;
    }
}
