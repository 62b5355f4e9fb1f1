package dev.asr.streams.ledger;

import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What an open task has spent so far, when it last did anything (event time), and its agent's fleet. */
public final class TaskState {

    public String fleet = "";
    /** The ids of the spend events counted so far: a task's own de-duplication. */
    private final List<String> eventIds = new ArrayList<>(4);
    /** The ids' hash codes, in the same order: most checks end on a differing hash, not a string compare. */
    private int[] idHashes = new int[4];
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
        addId(e.getEventId());
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

    private void addId(String eventId) {
        int index = eventIds.size();
        if (index == idHashes.length) {
            idHashes = Arrays.copyOf(idHashes, index * 2);
        }
        idHashes[index] = eventId.hashCode();
        eventIds.add(eventId);
    }

    public boolean hasSeen(String eventId) {
        int hash = eventId.hashCode();
        for (int i = 0; i < eventIds.size(); i++) {
            if (idHashes[i] == hash && eventIds.get(i).equals(eventId)) {
                return true;
            }
        }
        return false;
    }

    public byte[] toBytes() {
        byte[] fleetBytes = fleet.getBytes(StandardCharsets.UTF_8);
        byte[] ids = eventIdsBytes();
        return ByteBuffer.allocate(7 * Long.BYTES + Integer.BYTES + fleetBytes.length + ids.length).putLong(lastActivity).putLong(spend)
                .putLong(inputTokens).putLong(outputTokens).putLong(actions).putLong(idleSpend).putLong(humanSpend)
                .putInt(fleetBytes.length).put(fleetBytes).put(ids).array();
    }

    /** The event ids, length-prefixed UTF-8: also the value of a settled task's marker. */
    public byte[] eventIdsBytes() {
        byte[][] encoded = new byte[eventIds.size()][];
        int size = Integer.BYTES;
        for (int i = 0; i < encoded.length; i++) {
            encoded[i] = eventIds.get(i).getBytes(StandardCharsets.UTF_8);
            size += Integer.BYTES + encoded[i].length;
        }
        ByteBuffer out = ByteBuffer.allocate(size).putInt(encoded.length);
        for (byte[] id : encoded) {
            out.putInt(id.length).put(id);
        }
        return out.array();
    }

    public static List<String> eventIds(byte[] bytes) {
        return readIds(ByteBuffer.wrap(bytes));
    }

    private static List<String> readIds(ByteBuffer in) {
        int count = in.getInt();
        List<String> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            byte[] id = new byte[in.getInt()];
            in.get(id);
            ids.add(new String(id, StandardCharsets.UTF_8));
        }
        return ids;
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
        byte[] fleet = new byte[in.getInt()];
        in.get(fleet);
        t.fleet = new String(fleet, StandardCharsets.UTF_8);
        for (String id : readIds(in)) {
            t.addId(id);
        }
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
