package dev.asr.streams.window;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import java.time.Duration;
import java.time.Instant;

/**
 * Turns the raw sums of a window into the telemetry basket of SPEC §2. A ratio whose denominator
 * is zero is absent (null), never 0 or NaN. Money figures derived here are in currency units.
 */
public final class Basket {

    private static final double MICROS = 1_000_000.0;

    private Basket() {}

    /** A window of one agent ({@code agentId} set) or of a fleet ({@code agentId} null). */
    public record Window(String agentId, String fleet, String view, Instant start, Instant end, String currency) {}

    public static AgentWindowMetrics metrics(Window window, Figures f, long openSpend, Band band, int agents) {
        double seconds = Duration.between(window.start(), window.end()).toMillis() / 1000.0;
        long tokens = f.inputTokens + f.outputTokens;
        return AgentWindowMetrics.newBuilder()
                .setAgentId(window.agentId())
                .setFleet(window.fleet())
                .setWindow(window.view())
                .setWindowStart(window.start())
                .setWindowEnd(window.end())
                .setCurrency(window.currency())
                .setBand(band)
                .setAgents(agents)
                .setSpendMicros(f.spend)
                .setAutonomousSpendMicros(f.autonomousSpend)
                .setUnattributedSpendMicros(f.unattributedSpend)
                .setOpenSpendMicros(openSpend)
                .setCashSpendMicros(f.cashSpend)
                .setValueMicros(f.value)
                .setAutonomousValueMicros(f.autonomousValue)
                .setIdleSpendMicros(f.idleSpend)
                .setHumanSpendMicros(f.humanSpend)
                .setInputTokens(f.inputTokens)
                .setOutputTokens(f.outputTokens)
                .setActions(f.actions)
                .setSettledTasks(f.settledTasks)
                .setSucceededTasks(f.succeededTasks)
                .setAutonomousTasks(f.autonomousTasks)
                .setFailedTasks(f.failedTasks)
                .setAbandonedTasks(f.abandonedTasks)
                .setTimedOutTasks(f.timedOutTasks)
                .setHumanInterventions(f.humanInterventions)
                .setLateRecords(f.lateRecords)
                .setAsr(ratio(f.autonomousSpend, f.spend))
                .setAutonomousRoi(ratio(f.autonomousValue, f.spend))
                .setRoi(ratio(f.value, f.spend))
                .setWinRate(ratio(f.succeededTasks, f.settledTasks))
                .setAutonomyRate(ratio(f.autonomousTasks, f.settledTasks))
                .setEvPerToken(tokens == 0 ? null : f.value / MICROS / tokens)
                .setCostPerAction(f.actions == 0 ? null : f.spend / MICROS / f.actions)
                .setCostPerAutonomousSuccess(f.autonomousTasks == 0 ? null : f.spend / MICROS / f.autonomousTasks)
                .setIdleShare(ratio(f.idleSpend, f.spend))
                .setHumanShare(ratio(f.humanSpend, f.spend))
                .setHumanInterventionsPerTask(ratio(f.humanInterventions, f.settledTasks))
                .setBurnRate(seconds <= 0 ? null : f.cashSpend / MICROS / seconds)
                .build();
    }

    /** The raw sums of a metrics record, for re-aggregation (fleet roll-ups). */
    public static Figures figures(AgentWindowMetrics m) {
        Figures f = new Figures();
        f.spend = m.getSpendMicros();
        f.autonomousSpend = m.getAutonomousSpendMicros();
        f.unattributedSpend = m.getUnattributedSpendMicros();
        f.cashSpend = m.getCashSpendMicros();
        f.value = m.getValueMicros();
        f.autonomousValue = m.getAutonomousValueMicros();
        f.idleSpend = m.getIdleSpendMicros();
        f.humanSpend = m.getHumanSpendMicros();
        f.inputTokens = m.getInputTokens();
        f.outputTokens = m.getOutputTokens();
        f.actions = m.getActions();
        f.settledTasks = m.getSettledTasks();
        f.succeededTasks = m.getSucceededTasks();
        f.autonomousTasks = m.getAutonomousTasks();
        f.failedTasks = m.getFailedTasks();
        f.abandonedTasks = m.getAbandonedTasks();
        f.timedOutTasks = m.getTimedOutTasks();
        f.humanInterventions = m.getHumanInterventions();
        f.lateRecords = m.getLateRecords();
        return f;
    }

    private static Double ratio(long numerator, long denominator) {
        return denominator == 0 ? null : (double) numerator / denominator;
    }
}
