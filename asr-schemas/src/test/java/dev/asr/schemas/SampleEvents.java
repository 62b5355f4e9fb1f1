package dev.asr.schemas;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import java.time.Instant;
import java.util.Map;

/** Known records shared by the schema tests. */
public final class SampleEvents {

    private SampleEvents() {}

    /** The record the golden vectors pin. */
    public static SpendEvent spend() {
        return SpendEvent.newBuilder()
                .setEventId("e-1")
                .setAgentId("a-1")
                .setFleet("f")
                .setTaskId("t-1")
                .setKind(SpendKind.TOOL_CALL)
                .setCostMicros(1500)
                .setCurrency("USD")
                .setModel(null)
                .setTool("search")
                .setOccurredAt(Instant.parse("2026-01-01T00:00:00Z"))
                .build();
    }

    public static OutcomeEvent outcome() {
        return OutcomeEvent.newBuilder()
                .setEventId("o-1")
                .setAgentId("a-1")
                .setFleet("f")
                .setTaskId("t-1")
                .setStatus(OutcomeStatus.SUCCEEDED)
                .setValueMicros(2_000_000)
                .setHumanInterventions(0)
                .setOccurredAt(Instant.parse("2026-01-01T00:01:00Z"))
                .setAttributes(Map.of("region", "eu"))
                .build();
    }

    public static SpendEvent spend(int i) {
        SpendKind kind = SpendKind.values()[i % SpendKind.values().length];
        return SpendEvent.newBuilder()
                .setEventId("spend-" + i)
                .setAgentId("agent-" + (i % 7))
                .setFleet(i % 2 == 0 ? "trading" : "support")
                .setTaskId(kind == SpendKind.IDLE || kind == SpendKind.OVERHEAD ? null : "task-" + (i / 3))
                .setKind(kind)
                .setCostMicros(1_000L * i)
                .setInputTokens(kind == SpendKind.INFERENCE ? 100L + i : 0)
                .setOutputTokens(kind == SpendKind.INFERENCE ? 20L + i : 0)
                .setModel(kind == SpendKind.INFERENCE ? "gpt-x" : null)
                .setTool(kind == SpendKind.TOOL_CALL ? "search" : null)
                .setOccurredAt(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i))
                .setAttributes(Map.of("i", Integer.toString(i)))
                .build();
    }

    public static OutcomeEvent outcome(int i) {
        return OutcomeEvent.newBuilder()
                .setEventId("outcome-" + i)
                .setAgentId("agent-" + (i % 7))
                .setFleet(i % 2 == 0 ? "trading" : "support")
                .setTaskId("task-" + i)
                .setStatus(OutcomeStatus.values()[i % OutcomeStatus.values().length])
                .setValueMicros(5_000L * i)
                .setHumanInterventions(i % 4 == 0 ? 1 : 0)
                .setOccurredAt(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i))
                .build();
    }
}
