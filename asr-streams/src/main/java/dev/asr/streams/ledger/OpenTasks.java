package dev.asr.streams.ledger;

/** One agent's open tasks, by task id. */
public interface OpenTasks extends Iterable<TaskState> {

    TaskState get(String taskId);

    /** Adds a new task, or marks a changed one to be saved. */
    void put(TaskState task);

    void remove(TaskState task);
}
