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

    /**
     * May this agent spend {@code amountMicros} of {@code kind} now? Asks the gateway (contract §9);
     * spend only when the answer {@link Authorization#allowed()}, and report the spend with it.
     *
     * @throws Authorizer.AuthorizationUnavailableException when no decision came (do not spend)
     */
    public Authorization authorize(long amountMicros, SpendKind kind) {
        return client.authorizer().authorize(fleet, agentId, amountMicros, kind, null);
    }

    /** Spend while waiting for work: polling, keeping warm. */
    public CompletableFuture<Void> idle(long costMicros) {
        return spend(null, SpendKind.IDLE, costMicros, 0, 0, null, null, null);
    }

    /** Spend that keeps the agent running but serves no task: memory refreshes, health checks. */
    public CompletableFuture<Void> overhead(long costMicros) {
        return spend(null, SpendKind.OVERHEAD, costMicros, 0, 0, null, null, null);
    }

    /** Spend this agent was authorized for, serving no task; it replaces the authorization's hold. */
    public CompletableFuture<Void> spend(SpendKind kind, long costMicros, Authorization authorization) {
        return spend(null, kind, costMicros, 0, 0, null, null, authorization);
    }

    CompletableFuture<Void> spend(String taskId, SpendKind kind, long costMicros, long inputTokens, long outputTokens, String model,
            String tool, Authorization authorization) {
        if (authorization != null && !(authorization.agentId().equals(agentId) && authorization.fleet().equals(fleet))) {
            throw new IllegalArgumentException("authorization " + authorization.authorizationId() + " is agent " + authorization.agentId()
                    + " of fleet " + authorization.fleet() + "'s, not " + agentId + " of " + fleet + "'s");
        }
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
                .setAuthorizationId(authorization == null ? null : authorization.authorizationId())
                .setAttributes(Map.of())
                .build());
    }

    AsrClient client() {
        return client;
    }
}
