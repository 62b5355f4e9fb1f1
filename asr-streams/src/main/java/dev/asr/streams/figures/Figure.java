package dev.asr.streams.figures;

/**
 * The raw sums behind every figure of the basket (SPEC §2), one constant each, named after its
 * field in {@code AgentWindowMetrics}. Everything that handles sums loops over this table: adding
 * and subtracting ({@link Figures}), the store codec, the Avro rows ({@link Basket}) and the fleet
 * roll-up. Adding a figure is one constant here and one field in the schema.
 *
 * <p>The order is the stored order: append, never reorder or remove (old state decodes by position,
 * figures it lacks read as 0).
 */
public enum Figure {
    /** ASR denominator: spend of the tasks settled in the window plus unattributed spend. */
    SPEND("spend_micros"),
    /** ASR numerator: spend of the autonomous tasks settled in the window. */
    AUTONOMOUS_SPEND("autonomous_spend_micros"),
    /** Spend that names no task, or a task already settled. */
    UNATTRIBUTED_SPEND("unattributed_spend_micros"),
    /** All spend at its own event time, open tasks included: the cash view. */
    CASH_SPEND("cash_spend_micros"),
    VALUE("value_micros"),
    AUTONOMOUS_VALUE("autonomous_value_micros"),
    /** IDLE and OVERHEAD spend within {@link #SPEND}. */
    IDLE_SPEND("idle_spend_micros"),
    /** HUMAN spend within {@link #SPEND}. */
    HUMAN_SPEND("human_spend_micros"),
    INPUT_TOKENS("input_tokens"),
    OUTPUT_TOKENS("output_tokens"),
    /** Spend events within {@link #SPEND}: one spend event is one action. */
    ACTIONS("actions"),
    SETTLED_TASKS("settled_tasks"),
    SUCCEEDED_TASKS("succeeded_tasks"),
    AUTONOMOUS_TASKS("autonomous_tasks"),
    FAILED_TASKS("failed_tasks"),
    ABANDONED_TASKS("abandoned_tasks"),
    TIMED_OUT_TASKS("timed_out_tasks"),
    HUMAN_INTERVENTIONS("human_interventions"),
    /** Events that arrived after their bucket closed, counted in the bucket they were applied to. */
    LATE_RECORDS("late_records");

    /** Every figure, in stored order (one shared array: do not modify). */
    static final Figure[] ALL = values();
    public static final int COUNT = ALL.length;

    private final String field;

    Figure(String field) {
        this.field = field;
    }

    /** The field of {@code AgentWindowMetrics} that carries this sum. */
    public String field() {
        return field;
    }
}
