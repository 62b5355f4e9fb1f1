package dev.asr.otel.mapping;

import com.google.protobuf.ByteString;

/**
 * What the spans of earlier requests told: the agent a span resolved to, and which spans others
 * are waiting for. Keys are a span's trace id followed by its span id (24 bytes).
 */
public interface Ancestry {

    /** Nothing is remembered: every request stands alone. */
    Ancestry NONE = new Ancestry() {
        @Override
        public AgentRef agentOf(ByteString span) {
            return null;
        }

        @Override
        public boolean awaited(ByteString span) {
            return false;
        }
    };

    /** The agent a span of an earlier request resolved to; null when none is known. */
    AgentRef agentOf(ByteString span);

    /** True when spans of earlier requests wait for this span to say who their agent is. */
    boolean awaited(ByteString span);

    /** The key of a span: its trace id followed by its span id. */
    static ByteString key(ByteString traceId, ByteString spanId) {
        return traceId.concat(spanId);
    }
}
