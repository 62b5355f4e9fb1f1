package dev.asr.streams.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.event.AgentWindowMetrics;
import java.time.Instant;
import java.util.Set;
import org.apache.avro.Schema;

/**
 * A metrics row as the read API shows it: every field of {@code AgentWindowMetrics} by its schema
 * name (so a figure added to the schema appears here without an edit), instants in ISO-8601, bands
 * by name, except the fields the answer already names (agent, fleet, view).
 */
final class RowJson {

    static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> NAMED_ABOVE = Set.of("agent_id", "fleet", "window");

    private RowJson() {}

    static ObjectNode of(AgentWindowMetrics row) {
        ObjectNode out = JSON.createObjectNode();
        for (Schema.Field field : row.getSchema().getFields()) {
            if (NAMED_ABOVE.contains(field.name())) {
                continue;
            }
            Object value = row.get(field.pos());
            if (value == null) {
                out.putNull(field.name());
            } else if (value instanceof Long l) {
                out.put(field.name(), l);
            } else if (value instanceof Integer i) {
                out.put(field.name(), i);
            } else if (value instanceof Double d) {
                out.put(field.name(), d);
            } else if (value instanceof Instant instant) {
                out.put(field.name(), instant.toString());
            } else {
                out.put(field.name(), value.toString());
            }
        }
        return out;
    }

    static String iso(long epochMs) {
        return Instant.ofEpochMilli(epochMs).toString();
    }
}
