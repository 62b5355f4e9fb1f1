package dev.asr.streams.ledger;

import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** What an open task has spent so far, when it last did anything (event time), and its agent's fleet. */
public final class TaskState {

    public String fleet = "";
    public long lastActivity;
    public long spend;
    public long inputTokens;
    public long outputTokens;
    public long actions;
    public long idleSpend;
    public long humanSpend;

    public void add(SpendEvent e, long eventTime) {
        long cost = e.getCostMicros();
        fleet = e.getFleet();
        spend += cost;
        inputTokens += e.getInputTokens();
        outputTokens += e.getOutputTokens();
        actions++;
        if (e.getKind() == SpendKind.IDLE || e.getKind() == SpendKind.OVERHEAD) {
            idleSpend += cost;
        } else if (e.getKind() == SpendKind.HUMAN) {
            humanSpend += cost;
        }
        lastActivity = Math.max(lastActivity, eventTime);
    }

    public byte[] toBytes() {
        byte[] fleetBytes = fleet.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(7 * Long.BYTES + fleetBytes.length).putLong(lastActivity).putLong(spend).putLong(inputTokens)
                .putLong(outputTokens).putLong(actions).putLong(idleSpend).putLong(humanSpend).put(fleetBytes).array();
    }

    public static TaskState fromBytes(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        TaskState t = new TaskState();
        t.lastActivity = in.getLong();
        t.spend = in.getLong();
        t.inputTokens = in.getLong();
        t.outputTokens = in.getLong();
        t.actions = in.getLong();
        t.idleSpend = in.getLong();
        t.humanSpend = in.getLong();
        t.fleet = new String(bytes, in.position(), bytes.length - in.position(), StandardCharsets.UTF_8);
        return t;
    }

    /** The ledger key of a task: tasks belong to an agent, so ids only need to be unique per agent. */
    public static String key(String agentId, String taskId) {
        return agentId + '\u001f' + taskId;
    }

    public static String agentOf(String key) {
        return key.substring(0, key.indexOf('\u001f'));
    }
}
