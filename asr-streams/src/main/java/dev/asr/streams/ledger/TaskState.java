package dev.asr.streams.ledger;

import dev.asr.event.SpendKind;
import dev.asr.streams.figures.Figures;

/**
 * An open task: what it has spent so far (its actions' sums: spend, tokens, actions, idle and
 * human spend) and when it last did anything, in event time. Fixed-size however many events the
 * task has: its events' ids live in the {@link SeenIds}, one entry each.
 */
public final class TaskState {

    private final String taskId;
    private final Figures sums;
    private long lastActivity;

    public TaskState(String taskId, Figures sums, long lastActivity) {
        this.taskId = taskId;
        this.sums = sums;
        this.lastActivity = lastActivity;
    }

    static TaskState open(String taskId, long at) {
        return new TaskState(taskId, new Figures(), at);
    }

    public String taskId() {
        return taskId;
    }

    /** The task's action sums (read-only by convention: the ledger changes them). */
    public Figures sums() {
        return sums;
    }

    public long lastActivity() {
        return lastActivity;
    }

    /** Event time at which the task times out if nothing more happens. */
    public long deadline(long timeoutMs) {
        return lastActivity + timeoutMs;
    }

    /** Counts one spend event into the task; false when a sum saturated. */
    boolean accrue(SpendKind kind, long cost, long inputTokens, long outputTokens, long at) {
        lastActivity = Math.max(lastActivity, at);
        return sums.addAction(kind, cost, inputTokens, outputTokens);
    }
}
