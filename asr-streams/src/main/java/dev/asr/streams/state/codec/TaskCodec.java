package dev.asr.streams.state.codec;

import dev.asr.streams.ledger.TaskState;

/** A {@link TaskState} in stored form (its id is in the key): last activity, then its sums. A few dozen bytes, whatever its event count. */
public final class TaskCodec {

    private TaskCodec() {}

    public static byte[] encode(TaskState task) {
        ByteSink out = new ByteSink(48);
        out.writeVarLong(task.lastActivity());
        FiguresCodec.write(task.sums(), out);
        return out.toArray();
    }

    public static TaskState decode(String taskId, byte[] bytes) {
        ByteSource in = new ByteSource(bytes);
        long lastActivity = in.readVarLong();
        return new TaskState(taskId, FiguresCodec.read(in), lastActivity);
    }
}
