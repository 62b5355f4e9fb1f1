package dev.asr.ingest.simulator;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import java.util.List;

/** Events as the gateway reads them: NDJSON, Avro field names. */
public final class JsonLines {

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonLines() {}

    public static String spend(List<SpendEvent> events) {
        StringBuilder out = new StringBuilder(events.size() * 256);
        for (SpendEvent e : events) {
            ObjectNode node = JSON.createObjectNode()
                    .put("event_id", e.getEventId())
                    .put("agent_id", e.getAgentId())
                    .put("fleet", e.getFleet())
                    .put("kind", e.getKind().name())
                    .put("cost_micros", e.getCostMicros())
                    .put("currency", e.getCurrency())
                    .put("input_tokens", e.getInputTokens())
                    .put("output_tokens", e.getOutputTokens())
                    .put("occurred_at", e.getOccurredAt().toEpochMilli());
            if (e.getTaskId() != null) {
                node.put("task_id", e.getTaskId());
            }
            if (e.getModel() != null) {
                node.put("model", e.getModel());
            }
            if (e.getTool() != null) {
                node.put("tool", e.getTool());
            }
            if (!e.getAttributes().isEmpty()) {
                ObjectNode attributes = node.putObject("attributes");
                e.getAttributes().forEach(attributes::put);
            }
            out.append(node).append('\n');
        }
        return out.toString();
    }

    public static String outcomes(List<OutcomeEvent> events) {
        StringBuilder out = new StringBuilder(events.size() * 200);
        for (OutcomeEvent e : events) {
            ObjectNode node = JSON.createObjectNode()
                    .put("event_id", e.getEventId())
                    .put("agent_id", e.getAgentId())
                    .put("fleet", e.getFleet())
                    .put("task_id", e.getTaskId())
                    .put("status", e.getStatus().name())
                    .put("value_micros", e.getValueMicros())
                    .put("human_interventions", e.getHumanInterventions())
                    .put("occurred_at", e.getOccurredAt().toEpochMilli());
            if (!e.getAttributes().isEmpty()) {
                ObjectNode attributes = node.putObject("attributes");
                e.getAttributes().forEach(attributes::put);
            }
            out.append(node).append('\n');
        }
        return out.toString();
    }
}
