package dev.asr.streams.ledger;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.figures.Figures;
import java.util.ArrayList;
import java.util.List;

/**
 * The task ledger (SPEC §1, §4 v2, §6 v2): decides what each event is to the figures. Pure rules
 * over three small stores: the agent's open tasks, the ids seen, the tasks settled.
 *
 * <ul>
 *   <li><b>Duplicate</b>: an event id the agent already had, whatever its {@code occurred_at}; and,
 *       counted the same way, a second outcome for a task that settled.
 *   <li><b>Attributed</b>: spend naming an open task accrues to it (a task is opened by its first
 *       spend); spend naming a task that settled still counts to it while the bucket its figures
 *       went to is open, if stamped at or before the settlement (arrival order does not change a
 *       figure).
 *   <li><b>Unattributed</b>: spend naming no task, or a settled task past that point.
 *   <li><b>Settled</b>: an outcome settles its task (one it never saw spend for, with no spend);
 *       its figures go to the bucket the caller names, its own or, when that has closed, the
 *       earliest open one.
 *   <li><b>Timed out</b>: a task with no spend for {@code asr.task.timeout} settles TIMED_OUT when
 *       the bucket holding its deadline closes, and only if no outcome arrived before.
 * </ul>
 */
public final class TaskLedger {

    /** What a spend event is to the figures. */
    public sealed interface SpendEntry {}

    /** The event was seen before: counted once already. */
    public record Duplicate() implements SpendEntry, OutcomeEntry {}

    /** The spend accrued to an open task (a new one when {@code opened}); {@code exact} false when a task sum saturated. */
    public record Attributed(TaskState task, boolean opened, boolean exact) implements SpendEntry {}

    /** The spend counts to a task that settled into a bucket still open. */
    public record AttributedToSettled(Settlement settlement) implements SpendEntry {}

    /** The spend names no task, or a task that settled before it. */
    public record Unattributed() implements SpendEntry {}

    /** What an outcome event is to the figures. */
    public sealed interface OutcomeEntry {}

    /** The outcome settled {@code task} (its sums as they stood). */
    public record Settled(TaskState task, Settlement settlement) implements OutcomeEntry {}

    /** A new event, but its task had settled already: ignored, like a duplicate, though it tells the agent's time. */
    public record SecondOutcome() implements OutcomeEntry {}

    public static final Duplicate DUPLICATE = new Duplicate();
    public static final Unattributed UNATTRIBUTED = new Unattributed();
    public static final SecondOutcome SECOND_OUTCOME = new SecondOutcome();

    private final SeenIds seen;
    private final SettledTasks settled;
    private final long timeoutMs;

    public TaskLedger(SeenIds seen, SettledTasks settled, long timeoutMs) {
        this.seen = seen;
        this.settled = settled;
        this.timeoutMs = timeoutMs;
    }

    /**
     * @param at the spend's event time
     * @param earliestOpenBucket the start of the agent's earliest open bucket
     */
    public SpendEntry spend(AgentKey agent, OpenTasks open, SpendEvent e, long at, long earliestOpenBucket) {
        if (!seen.firstSight(agent, e.getEventId())) {
            return DUPLICATE;
        }
        String taskId = e.getTaskId();
        if (taskId == null) {
            return UNATTRIBUTED;
        }
        TaskState task = open.get(taskId);
        boolean opened = false;
        if (task == null) {
            Settlement settlement = settled.find(agent, taskId);
            if (settlement != null) {
                return settlement.takes(at, earliestOpenBucket) ? new AttributedToSettled(settlement) : UNATTRIBUTED;
            }
            task = TaskState.open(taskId, at);
            opened = true;
        }
        boolean exact = task.accrue(e.getKind(), e.getCostMicros(), e.getInputTokens(), e.getOutputTokens(), at);
        open.put(task);
        return new Attributed(task, opened, exact);
    }

    /**
     * @param at the outcome's event time
     * @param bucketStart the bucket its figures go to: its own, or the earliest open one when that has closed
     */
    public OutcomeEntry outcome(AgentKey agent, OpenTasks open, OutcomeEvent e, long at, long bucketStart) {
        if (!seen.firstSight(agent, e.getEventId())) {
            return DUPLICATE;
        }
        TaskState task = open.get(e.getTaskId());
        if (task == null) {
            if (settled.find(agent, e.getTaskId()) != null) {
                return SECOND_OUTCOME;
            }
            task = TaskState.open(e.getTaskId(), at);
        } else {
            open.remove(task);
        }
        Settlement settlement = new Settlement(at, bucketStart, Figures.isAutonomous(e.getStatus(), e.getHumanInterventions()));
        settled.remember(agent, e.getTaskId(), settlement);
        return new Settled(task, settlement);
    }

    /**
     * Settles as TIMED_OUT every open task whose deadline falls before {@code end}, the end of the
     * bucket closing now (starting at {@code bucketStart}), whose figures they join.
     */
    public List<TaskState> expire(AgentKey agent, OpenTasks open, long bucketStart, long end) {
        List<TaskState> expired = null;
        for (TaskState task : open) {
            if (task.deadline(timeoutMs) < end) {
                if (expired == null) {
                    expired = new ArrayList<>();
                }
                expired.add(task);
            }
        }
        if (expired == null) {
            return List.of();
        }
        for (TaskState task : expired) {
            open.remove(task);
            settled.remember(agent, task.taskId(), new Settlement(task.deadline(timeoutMs), bucketStart, false));
        }
        return expired;
    }
}
