package dev.asr.streams.agent;

import dev.asr.event.Band;
import dev.asr.streams.clock.AgentClock;
import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;
import dev.asr.streams.ledger.OpenTasks;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.window.AgentWindows;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Everything the topology keeps about one agent: its clock, its windows, its band and its open
 * tasks. Every entry is bounded: a few open buckets, one set of sums per view, one fixed-size
 * state per open task.
 */
public final class Agent implements OpenTasks {

    /** Told when an open task is added, changed or removed, so it can be saved. */
    public interface TaskChanges {
        void changed(Agent agent, TaskState task, boolean added);

        void removed(Agent agent, TaskState task);
    }

    private static final TaskChanges IGNORED = new TaskChanges() {
        @Override
        public void changed(Agent agent, TaskState task, boolean added) {}

        @Override
        public void removed(Agent agent, TaskState task) {}
    };

    private final AgentKey key;
    private final AgentClock clock;
    private final AgentWindows windows;
    private final Map<String, TaskState> tasks = new HashMap<>(4);
    private TaskChanges changes = IGNORED;
    private Band band;

    public Agent(AgentKey key, AgentClock clock, AgentWindows windows, Band band) {
        this.key = key;
        this.clock = clock;
        this.windows = windows;
        this.band = band;
    }

    public Agent listenTo(TaskChanges listener) {
        this.changes = listener;
        return this;
    }

    public AgentKey key() {
        return key;
    }

    public AgentClock clock() {
        return clock;
    }

    public AgentWindows windows() {
        return windows;
    }

    public Band band() {
        return band;
    }

    public void band(Band newBand) {
        this.band = newBand;
    }

    /** Adds a task as it was saved, without reporting a change. */
    public void restore(TaskState task) {
        tasks.put(task.taskId(), task);
    }

    @Override
    public TaskState get(String taskId) {
        return tasks.get(taskId);
    }

    @Override
    public void put(TaskState task) {
        boolean added = tasks.putIfAbsent(task.taskId(), task) == null;
        changes.changed(this, task, added);
    }

    @Override
    public void remove(TaskState task) {
        if (tasks.remove(task.taskId()) != null) {
            changes.removed(this, task);
        }
    }

    @Override
    public Iterator<TaskState> iterator() {
        return tasks.values().iterator();
    }

    public int openTasks() {
        return tasks.size();
    }

    /** Spend of the open tasks: visible as open spend, not in the ratio. */
    public long openSpend() {
        long sum = 0;
        for (TaskState task : tasks.values()) {
            sum = Figures.sum(sum, task.sums().get(Figure.SPEND));
        }
        return sum;
    }

    /** True when the agent can be forgotten: no open task, and nothing left in its windows. */
    public boolean gone() {
        return tasks.isEmpty() && windows.quiet();
    }
}
