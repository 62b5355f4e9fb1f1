package dev.asr.streams.figures;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendKind;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/** The figure table, its arithmetic and the basket it becomes (SPEC §1–2), with hand-computed figures. */
class FiguresTest {

    @Test
    void everyFigureIsALongFieldOfTheRowsAndEveryLongSumOfTheRowsIsAFigure() {
        Schema schema = AgentWindowMetrics.getClassSchema();
        Set<String> longFields = schema.getFields().stream()
                .filter(f -> f.schema().getType() == Schema.Type.LONG && f.schema().getLogicalType() == null)
                .map(Schema.Field::name).collect(Collectors.toSet());
        Set<String> figures = Arrays.stream(Figure.values()).map(Figure::field).collect(Collectors.toSet());
        longFields.remove("open_spend_micros"); // the open tasks' spend at the window's end: a level, not a sum of buckets
        assertThat(figures).isEqualTo(longFields);
        Set<String> ratios = Arrays.stream(Ratio.values()).map(Ratio::field).collect(Collectors.toSet());
        Set<String> doubleFields = schema.getFields().stream().filter(f -> f.schema().getType() == Schema.Type.UNION
                && f.schema().getTypes().stream().anyMatch(t -> t.getType() == Schema.Type.DOUBLE)).map(Schema.Field::name)
                .collect(Collectors.toSet());
        doubleFields.remove("burn_rate"); // per second of the window, not a ratio of sums
        assertThat(ratios).isEqualTo(doubleFields);
    }

    @Test
    void addingThenSubtractingIsExact() {
        Figures view = new Figures();
        Figures bucket = new Figures();
        bucket.addAction(SpendKind.INFERENCE, 1_234_567, 10, 2);
        view.plus(bucket);
        view.plus(bucket);
        view.minus(bucket);
        assertThat(view).isEqualTo(bucket);
        view.minus(bucket);
        assertThat(view.isEmpty()).isTrue();
    }

    @Test
    void anActionCountsItsCostTokensAndItsKindsShare() {
        Figures f = new Figures();
        f.addAction(SpendKind.IDLE, 20, 0, 0);
        f.addAction(SpendKind.OVERHEAD, 30, 0, 0);
        f.addAction(SpendKind.HUMAN, 300, 0, 0);
        f.addAction(SpendKind.TOOL_CALL, 50, 7, 3);
        assertThat(f.get(Figure.SPEND)).isEqualTo(400);
        assertThat(f.get(Figure.ACTIONS)).isEqualTo(4);
        assertThat(f.get(Figure.IDLE_SPEND)).isEqualTo(50);
        assertThat(f.get(Figure.HUMAN_SPEND)).isEqualTo(300);
        assertThat(f.get(Figure.INPUT_TOKENS)).isEqualTo(7);
        assertThat(f.get(Figure.OUTPUT_TOKENS)).isEqualTo(3);
        assertThat(f.get(Figure.CASH_SPEND)).as("cash is counted at event time by the caller, not here").isZero();
    }

    @Test
    void aSettledTaskCountsByStatusAndIsAutonomousOnlyWhenItSucceededWithNoHuman() {
        Figures task = new Figures();
        task.addAction(SpendKind.INFERENCE, 100, 0, 0);
        Figures f = new Figures();
        f.addSettled(task, OutcomeStatus.SUCCEEDED, 1_000, 0);
        f.addSettled(task, OutcomeStatus.SUCCEEDED, 2_000, 1);
        f.addSettled(task, OutcomeStatus.FAILED, 0, 0);
        f.addSettled(task, OutcomeStatus.ABANDONED, 0, 0);
        f.addSettled(task, null, 0, 0);
        assertThat(f.get(Figure.SETTLED_TASKS)).isEqualTo(5);
        assertThat(f.get(Figure.SUCCEEDED_TASKS)).isEqualTo(2);
        assertThat(f.get(Figure.FAILED_TASKS)).isEqualTo(1);
        assertThat(f.get(Figure.ABANDONED_TASKS)).isEqualTo(1);
        assertThat(f.get(Figure.TIMED_OUT_TASKS)).isEqualTo(1);
        assertThat(f.get(Figure.AUTONOMOUS_TASKS)).isEqualTo(1);
        assertThat(f.get(Figure.SPEND)).isEqualTo(500);
        assertThat(f.get(Figure.AUTONOMOUS_SPEND)).isEqualTo(100);
        assertThat(f.get(Figure.VALUE)).isEqualTo(3_000);
        assertThat(f.get(Figure.AUTONOMOUS_VALUE)).isEqualTo(1_000);
        assertThat(f.get(Figure.HUMAN_INTERVENTIONS)).isEqualTo(1);
    }

    @Test
    void aSumThatWouldOverflowStaysAtItsBoundAndSaysSo() {
        Figures f = new Figures();
        assertThat(f.add(Figure.SPEND, Long.MAX_VALUE - 5)).isTrue();
        assertThat(f.add(Figure.SPEND, 5)).as("exactly the bound").isTrue();
        assertThat(f.add(Figure.SPEND, 1)).isFalse();
        assertThat(f.get(Figure.SPEND)).isEqualTo(Long.MAX_VALUE);
        Figures twice = f.copy();
        assertThat(twice.plus(f)).isFalse();
        assertThat(twice.get(Figure.SPEND)).as("never wraps round to a negative").isEqualTo(Long.MAX_VALUE);
        assertThat(Figures.sum(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(Figures.sum(Long.MIN_VALUE, -1)).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void theBasketOfAHandComputedWindow() {
        Figures f = new Figures();
        Figures task = new Figures();
        task.addAction(SpendKind.INFERENCE, 150_000, 1_000, 200);
        f.addSettled(task, OutcomeStatus.SUCCEEDED, 1_000_000, 0);
        Figures failed = new Figures();
        failed.addAction(SpendKind.HUMAN, 250_000, 0, 0);
        f.addSettled(failed, OutcomeStatus.FAILED, 0, 2);
        f.addAction(SpendKind.IDLE, 100_000, 0, 0);
        f.add(Figure.UNATTRIBUTED_SPEND, 100_000);
        f.add(Figure.CASH_SPEND, 600_000);
        AgentWindowMetrics row = Basket.metrics(new Basket.Window("bot-1", "support", "5m", 0, 300_000, "USD", 299_000L), f, 70_000,
                Band.ASSISTED, 1);
        assertThat(row.getSpendMicros()).isEqualTo(500_000);
        assertThat(row.getAsr()).isEqualTo(0.3);
        assertThat(row.getAutonomousRoi()).isEqualTo(2.0);
        assertThat(row.getRoi()).isEqualTo(2.0);
        assertThat(row.getWinRate()).isEqualTo(0.5);
        assertThat(row.getAutonomyRate()).isEqualTo(0.5);
        assertThat(row.getEvPerToken()).isCloseTo(1.0 / 1_200, within(1e-15));
        assertThat(row.getCostPerAction()).isCloseTo(0.5 / 3, within(1e-15));
        assertThat(row.getCostPerAutonomousSuccess()).isEqualTo(0.5);
        assertThat(row.getIdleShare()).isEqualTo(0.2);
        assertThat(row.getHumanShare()).isEqualTo(0.5);
        assertThat(row.getHumanInterventionsPerTask()).isEqualTo(1.0);
        assertThat(row.getBurnRate()).isCloseTo(0.002, within(1e-15));
        assertThat(row.getOpenSpendMicros()).isEqualTo(70_000);
        assertThat(row.getLastEventAt().toEpochMilli()).isEqualTo(299_000);
        assertThat(Basket.figures(row)).isEqualTo(f);
    }

    @Test
    void everyRatioWithAZeroDenominatorIsAbsent() {
        AgentWindowMetrics row = Basket.metrics(new Basket.Window(null, "support", "1h", 0, 3_600_000, "USD", null), new Figures(), 0,
                Band.UNRATED, 0);
        for (Ratio ratio : Ratio.values()) {
            assertThat(row.get(ratio.field())).as(ratio.field()).isNull();
        }
        assertThat(row.getBurnRate()).isEqualTo(0.0);
        assertThat(row.getLastEventAt()).isNull();
    }
}
