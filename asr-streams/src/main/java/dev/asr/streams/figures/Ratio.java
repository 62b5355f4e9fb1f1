package dev.asr.streams.figures;

/**
 * The derived figures of the basket (SPEC §2), each a ratio of raw sums, named after its field in
 * {@code AgentWindowMetrics}. A ratio whose denominator is zero is undefined: absent (null), never
 * 0 or NaN. Money ratios are in currency units (sums are in micros).
 */
public enum Ratio {
    ASR("asr", Figure.AUTONOMOUS_SPEND, Figure.SPEND, 1),
    AUTONOMOUS_ROI("autonomous_roi", Figure.AUTONOMOUS_VALUE, Figure.SPEND, 1),
    ROI("roi", Figure.VALUE, Figure.SPEND, 1),
    WIN_RATE("win_rate", Figure.SUCCEEDED_TASKS, Figure.SETTLED_TASKS, 1),
    AUTONOMY_RATE("autonomy_rate", Figure.AUTONOMOUS_TASKS, Figure.SETTLED_TASKS, 1),
    /** Value per token, tokens being input plus output. */
    EV_PER_TOKEN("ev_per_token", Figure.VALUE, null, Basket.MICROS),
    COST_PER_ACTION("cost_per_action", Figure.SPEND, Figure.ACTIONS, Basket.MICROS),
    COST_PER_AUTONOMOUS_SUCCESS("cost_per_autonomous_success", Figure.SPEND, Figure.AUTONOMOUS_TASKS, Basket.MICROS),
    IDLE_SHARE("idle_share", Figure.IDLE_SPEND, Figure.SPEND, 1),
    HUMAN_SHARE("human_share", Figure.HUMAN_SPEND, Figure.SPEND, 1),
    HUMAN_INTERVENTIONS_PER_TASK("human_interventions_per_task", Figure.HUMAN_INTERVENTIONS, Figure.SETTLED_TASKS, 1);

    static final Ratio[] ALL = values();

    private final String field;
    private final Figure numerator;
    /** null: the tokens, input plus output. */
    private final Figure denominator;
    /** Money numerators are micros: divided by a million to give currency units. */
    private final double divisor;

    Ratio(String field, Figure numerator, Figure denominator, double divisor) {
        this.field = field;
        this.numerator = numerator;
        this.denominator = denominator;
        this.divisor = divisor;
    }

    public String field() {
        return field;
    }

    /** The ratio of {@code f}'s sums, or null when its denominator is zero. */
    public Double of(Figures f) {
        long below = denominator == null ? f.get(Figure.INPUT_TOKENS) + f.get(Figure.OUTPUT_TOKENS) : f.get(denominator);
        return below == 0 ? null : f.get(numerator) / divisor / below;
    }
}
