package dev.asr.ingest.sdk;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendKind;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/**
 * One task of one agent: what it spent, step by step, and how it ended. Exactly one outcome ends
 * it; closing a task that has none reports it ABANDONED, so no task is left to time out silently.
 */
public final class TaskReport implements AutoCloseable {

    private final AgentReporter agent;
    private final String taskId;
    private boolean ended;

    TaskReport(AgentReporter agent, String taskId) {
        this.agent = agent;
        this.taskId = taskId;
    }

    public String taskId() {
        return taskId;
    }

    /** A model call: its tokens and what it cost (micros). */
    public CompletableFuture<Void> inference(String model, long inputTokens, long outputTokens, long costMicros) {
        return step(SpendKind.INFERENCE, costMicros, inputTokens, outputTokens, model, null, null);
    }

    /** A tool or API call. */
    public CompletableFuture<Void> toolCall(String tool, long costMicros) {
        return step(SpendKind.TOOL_CALL, costMicros, 0, 0, null, tool, null);
    }

    /** Money moved on the task's behalf: fees, purchases. */
    public CompletableFuture<Void> transaction(long costMicros) {
        return step(SpendKind.TRANSACTION, costMicros, 0, 0, null, null, null);
    }

    /**
     * May the agent spend {@code amountMicros} of {@code kind} on this task now? (contract §9; see
     * {@link AgentReporter#authorize}).
     */
    public Authorization authorize(long amountMicros, SpendKind kind) {
        return agent.client().authorizer().authorize(agent.fleet(), agent.agentId(), amountMicros, kind, taskId);
    }

    /** A transaction this task was authorized for: the spend replaces the authorization's hold. */
    public CompletableFuture<Void> transaction(long costMicros, Authorization authorization) {
        if (!authorization.allowed()) {
            throw new IllegalArgumentException("authorization " + authorization.authorizationId() + " is " + authorization.decision()
                    + " (" + authorization.reason() + "): a spend it did not allow must not happen");
        }
        return step(SpendKind.TRANSACTION, costMicros, 0, 0, null, null, authorization);
    }

    /** A person's time spent on the task (count the intervention in the outcome too). */
    public CompletableFuture<Void> human(long costMicros) {
        return step(SpendKind.HUMAN, costMicros, 0, 0, null, null, null);
    }

    public CompletableFuture<Void> succeed(long valueMicros, int humanInterventions) {
        return end(OutcomeStatus.SUCCEEDED, valueMicros, humanInterventions);
    }

    public CompletableFuture<Void> fail(long valueMicros, int humanInterventions) {
        return end(OutcomeStatus.FAILED, valueMicros, humanInterventions);
    }

    public CompletableFuture<Void> abandon(int humanInterventions) {
        return end(OutcomeStatus.ABANDONED, 0, humanInterventions);
    }

    private CompletableFuture<Void> step(SpendKind kind, long cost, long in, long out, String model, String tool, Authorization authorization) {
        if (ended) {
            throw new IllegalStateException("task " + taskId + " has ended: report its spend before its outcome");
        }
        return agent.spend(taskId, kind, cost, in, out, model, tool, authorization);
    }

    private CompletableFuture<Void> end(OutcomeStatus status, long valueMicros, int humanInterventions) {
        if (ended) {
            throw new IllegalStateException("task " + taskId + " already has its outcome");
        }
        if (valueMicros < 0) {
            throw new IllegalArgumentException("value " + valueMicros + " is negative: value is in micros, >= 0");
        }
        if (humanInterventions < 0) {
            throw new IllegalArgumentException("humanInterventions " + humanInterventions + " is negative");
        }
        ended = true;
        AsrClient client = agent.client();
        return client.send(OutcomeEvent.newBuilder()
                .setEventId(UUID.randomUUID().toString())
                .setAgentId(agent.agentId())
                .setFleet(agent.fleet())
                .setTaskId(taskId)
                .setStatus(status)
                .setValueMicros(valueMicros)
                .setHumanInterventions(humanInterventions)
                .setOccurredAt(client.settings().clock().instant())
                .build());
    }

    /** Reports ABANDONED if the task has no outcome yet. */
    @Override
    public void close() {
        if (!ended) {
            abandon(0);
        }
    }
}
