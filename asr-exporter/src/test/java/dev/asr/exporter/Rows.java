package dev.asr.exporter;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.Direction;
import java.time.Duration;
import java.time.Instant;

/** Metrics rows and transitions as the topology writes them, for the exporter's tests. */
public final class Rows {

    private Rows() {}

    /** A row whose ratios follow from its sums: spend and autonomous spend in micros. */
    public static AgentWindowMetrics row(String agent, String fleet, String window, Instant end, Band band, long spend, long autonomous) {
        Duration length = window.equals("1m") ? Duration.ofMinutes(1) : window.equals("5m") ? Duration.ofMinutes(5)
                : window.equals("1h") ? Duration.ofHours(1) : Duration.ofDays(1);
        return AgentWindowMetrics.newBuilder()
                .setAgentId(agent).setFleet(fleet).setWindow(window)
                .setWindowStart(end.minus(length)).setWindowEnd(end)
                .setBand(band).setAgents(agent == null ? 2 : 1)
                .setSpendMicros(spend).setAutonomousSpendMicros(autonomous).setValueMicros(3 * autonomous)
                .setSettledTasks(spend == 0 ? 0 : 10).setSucceededTasks(spend == 0 ? 0 : 7).setActions(spend == 0 ? 0 : 20)
                .setInputTokens(1_000).setOutputTokens(0).setIdleSpendMicros(spend / 10)
                .setAsr(spend == 0 ? null : (double) autonomous / spend)
                .setWinRate(spend == 0 ? null : 0.7)
                .setAutonomousRoi(spend == 0 ? null : 3.0 * autonomous / spend)
                .setEvPerToken(3.0 * autonomous / 1_000_000 / 1_000)
                .setCostPerAction(spend == 0 ? null : spend / 1_000_000.0 / 20)
                .setIdleShare(spend == 0 ? null : 0.1)
                .setLastEventAt(end.minusSeconds(1))
                .build();
    }

    /** The same row, saying its agent's last event was at {@code lastEventAt}. */
    public static AgentWindowMetrics activeAt(AgentWindowMetrics row, Instant lastEventAt) {
        return AgentWindowMetrics.newBuilder(row).setLastEventAt(lastEventAt).build();
    }

    public static BandTransition transition(String agent, String fleet, Band from, Band to, Instant end) {
        return BandTransition.newBuilder().setTransitionId(agent + "@" + end.toEpochMilli()).setAgentId(agent).setFleet(fleet)
                .setFromBand(from).setToBand(to).setDirection(to.ordinal() > from.ordinal() ? Direction.UP : Direction.DOWN)
                .setAsr(0.5).setSettledTasks(10).setSpendMicros(1).setAutonomousSpendMicros(1).setWindow("1h")
                .setWindowStart(end.minus(Duration.ofHours(1))).setWindowEnd(end).setOccurredAt(end).build();
    }
}
