package dev.asr.ingest.sdk;

import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** Reports for one agent: its tasks, and the spend that serves no task (idle polling, overhead). */
public final class AgentReporter {

    private final AsrClient client;
    private final String agentId;
    private final String fleet;

    AgentReporter(AsrClient client, String agentId, String fleet) {
        if (agentId == null || agentId.isBlank()) {
            throw new IllegalArgumentException("agentId is blank: name the agent (OpenTelemetry gen_ai.agent.id)");
        }
        if (fleet == null || fleet.isBlank()) {
            throw new IllegalArgumentException("fleet is blank: name the team or fleet the agent belongs to");
        }
        this.client = client;
        this.agentId = agentId;
        this.fleet = fleet;
    }

    public String agentId() {
        return agentId;
    }

    public String fleet() {
        return fleet;
    }

    /** Starts a task with a generated id. */
    public TaskReport startTask() {
        return startTask(UUID.randomUUID().toString());
    }

    /** Starts a task with the caller's id (unique per agent). */
    public TaskReport startTask(String taskId) {
        if (taskId == null || taskId.isBlank()) {
            throw new IllegalArgumentException("taskId is blank");
        }
        return new TaskReport(this, taskId);
    }

    /** Spend while waiting for work: polling, keeping warm. */
    public CompletableFuture<Void> idle(long costMicros) {
        return spend(null, SpendKind.IDLE, costMicros, 0, 0, null, null, Map.of());
    }

    /** Spend that keeps the agent running but serves no task: memory refreshes, health checks. */
    public CompletableFuture<Void> overhead(long costMicros) {
        return spend(null, SpendKind.OVERHEAD, costMicros, 0, 0, null, null, Map.of());
    }

    CompletableFuture<Void> spend(String taskId, SpendKind kind, long costMicros, long inputTokens, long outputTokens, String model,
            String tool, Map<String, String> attributes) {
        if (costMicros < 0) {
            throw new IllegalArgumentException("cost " + costMicros + " is negative: costs are in micros, >= 0");
        }
        if (inputTokens < 0 || outputTokens < 0) {
            throw new IllegalArgumentException("token counts must be >= 0, got " + inputTokens + " in and " + outputTokens + " out");
        }
        return client.send(SpendEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setAgentId(agentId)
                .setFleet(fleet)
                .setTaskId(taskId)
                .setKind(kind)
                .setCostMicros(costMicros)
                .setCurrency(client.settings().currency())
                .setInputTokens(inputTokens)
                .setOutputTokens(outputTokens)
                .setModel(model)
                .setTool(tool)
                .setOccurredAt(client.settings().clock().instant())
                .setAttributes(attributes)
                .build());
    }

    AsrClient client() {
        return client;
    }
}
