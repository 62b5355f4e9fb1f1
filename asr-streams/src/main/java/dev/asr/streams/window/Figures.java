package dev.asr.streams.window;

import dev.asr.event.SpendKind;
import java.nio.ByteBuffer;

/**
 * The raw sums behind every figure of the basket, for one agent over one bucket or one rolling
 * view. Sums only ever add and subtract exactly (longs), so a view is the exact sum of its buckets
 * however often buckets enter and leave it.
 */
public final class Figures {

    private static final int FIELDS = 19;
    public static final int BYTES = FIELDS * Long.BYTES;

    /** ASR denominator: settled tasks' spend plus unattributed spend. */
    public long spend;
    public long autonomousSpend;
    public long unattributedSpend;
    /** All spend at its event time, open tasks included. */
    public long cashSpend;
    public long value;
    public long autonomousValue;
    public long idleSpend;
    public long humanSpend;
    public long inputTokens;
    public long outputTokens;
    public long actions;
    public long settledTasks;
    public long succeededTasks;
    public long autonomousTasks;
    public long failedTasks;
    public long abandonedTasks;
    public long timedOutTasks;
    public long humanInterventions;
    public long lateRecords;

    /** Counts one action's cost into the ASR denominator, by kind. */
    public void addAction(SpendKind kind, long cost, long input, long output) {
        spend += cost;
        actions++;
        inputTokens += input;
        outputTokens += output;
        if (kind == SpendKind.IDLE || kind == SpendKind.OVERHEAD) {
            idleSpend += cost;
        } else if (kind == SpendKind.HUMAN) {
            humanSpend += cost;
        }
    }

    public void add(Figures other) {
        combine(other, 1);
    }

    public void subtract(Figures other) {
        combine(other, -1);
    }

    private void combine(Figures o, long sign) {
        spend += sign * o.spend;
        autonomousSpend += sign * o.autonomousSpend;
        unattributedSpend += sign * o.unattributedSpend;
        cashSpend += sign * o.cashSpend;
        value += sign * o.value;
        autonomousValue += sign * o.autonomousValue;
        idleSpend += sign * o.idleSpend;
        humanSpend += sign * o.humanSpend;
        inputTokens += sign * o.inputTokens;
        outputTokens += sign * o.outputTokens;
        actions += sign * o.actions;
        settledTasks += sign * o.settledTasks;
        succeededTasks += sign * o.succeededTasks;
        autonomousTasks += sign * o.autonomousTasks;
        failedTasks += sign * o.failedTasks;
        abandonedTasks += sign * o.abandonedTasks;
        timedOutTasks += sign * o.timedOutTasks;
        humanInterventions += sign * o.humanInterventions;
        lateRecords += sign * o.lateRecords;
    }

    /** True when nothing at all happened: no spend, no task, no late record. */
    public boolean isEmpty() {
        return spend == 0 && cashSpend == 0 && actions == 0 && settledTasks == 0 && lateRecords == 0 && value == 0;
    }

    public void writeTo(ByteBuffer out) {
        out.putLong(spend).putLong(autonomousSpend).putLong(unattributedSpend).putLong(cashSpend).putLong(value)
                .putLong(autonomousValue).putLong(idleSpend).putLong(humanSpend).putLong(inputTokens).putLong(outputTokens)
                .putLong(actions).putLong(settledTasks).putLong(succeededTasks).putLong(autonomousTasks).putLong(failedTasks)
                .putLong(abandonedTasks).putLong(timedOutTasks).putLong(humanInterventions).putLong(lateRecords);
    }

    public static Figures readFrom(ByteBuffer in) {
        Figures f = new Figures();
        f.spend = in.getLong();
        f.autonomousSpend = in.getLong();
        f.unattributedSpend = in.getLong();
        f.cashSpend = in.getLong();
        f.value = in.getLong();
        f.autonomousValue = in.getLong();
        f.idleSpend = in.getLong();
        f.humanSpend = in.getLong();
        f.inputTokens = in.getLong();
        f.outputTokens = in.getLong();
        f.actions = in.getLong();
        f.settledTasks = in.getLong();
        f.succeededTasks = in.getLong();
        f.autonomousTasks = in.getLong();
        f.failedTasks = in.getLong();
        f.abandonedTasks = in.getLong();
        f.timedOutTasks = in.getLong();
        f.humanInterventions = in.getLong();
        f.lateRecords = in.getLong();
        return f;
    }

    public byte[] toBytes() {
        ByteBuffer buffer = ByteBuffer.allocate(BYTES);
        writeTo(buffer);
        return buffer.array();
    }

    public static Figures fromBytes(byte[] bytes) {
        return readFrom(ByteBuffer.wrap(bytes));
    }

    public Figures copy() {
        Figures copy = new Figures();
        copy.add(this);
        return copy;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Figures other && java.util.Arrays.equals(toBytes(), other.toBytes());
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(toBytes());
    }

    @Override
    public String toString() {
        return "Figures[spend=" + spend + ", autonomousSpend=" + autonomousSpend + ", settledTasks=" + settledTasks
                + ", actions=" + actions + ", value=" + value + ", cash=" + cashSpend + ", late=" + lateRecords + "]";
    }
}
