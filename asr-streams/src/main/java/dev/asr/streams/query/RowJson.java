package dev.asr.streams.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.event.AgentWindowMetrics;
import dev.asr.schemas.serde.RecordJson;
import java.time.Instant;
import java.util.List;

/**
 * A metrics row as the read API shows it: the row as {@link RecordJson} renders every record (so a
 * figure added to the schema appears here without an edit), less the fields the answer already
 * names (agent, fleet, view).
 */
final class RowJson {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> NAMED_ABOVE = List.of("agent_id", "fleet", "window");

    private RowJson() {}

    static ObjectNode of(AgentWindowMetrics row) {
        return RecordJson.of(row).without(NAMED_ABOVE);
    }

    static String iso(long epochMs) {
        return Instant.ofEpochMilli(epochMs).toString();
    }
}
