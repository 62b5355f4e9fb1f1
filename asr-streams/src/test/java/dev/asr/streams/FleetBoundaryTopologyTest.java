package dev.asr.streams;

import static dev.asr.event.OutcomeStatus.FAILED;
import static dev.asr.event.OutcomeStatus.SUCCEEDED;
import static dev.asr.event.SpendKind.INFERENCE;
import static dev.asr.streams.TopologyFixture.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * SPEC §6 v2: an agent is its fleet plus its agent_id. Events a token scoped to fleet A may write
 * (fleet "A") that name fleet B's agent id — its task ids, event ids and all — never change B's
 * agent: its figures, rows, band and open tasks are what they would be without them.
 */
class FleetBoundaryTopologyTest {

    private static Instant at(int minutes, int seconds) {
        return T0.plus(Duration.ofMinutes(minutes)).plusSeconds(seconds);
    }

    /** Fleet B's bot-1: six autonomous tasks (ASR 1.0, SELF_DIRECTED) and one left open. */
    private static void fleetBsAgent(TopologyFixture fx) {
        for (int i = 0; i < 6; i++) {
            fx.spend(SpendEvent.newBuilder().setEventId("b-spend-" + i).setAgentId("bot-1").setFleet("B").setTaskId("t" + i)
                    .setKind(INFERENCE).setCostMicros(100_000).setOccurredAt(at(0, i * 5)).build());
            fx.outcome(OutcomeEvent.newBuilder().setEventId("b-outcome-" + i).setAgentId("bot-1").setFleet("B").setTaskId("t" + i)
                    .setStatus(SUCCEEDED).setValueMicros(300_000).setOccurredAt(at(0, i * 5 + 1)).build());
        }
        fx.spend(SpendEvent.newBuilder().setEventId("b-open").setAgentId("bot-1").setFleet("B").setTaskId("still-open")
                .setKind(INFERENCE).setCostMicros(55_000).setOccurredAt(at(0, 40)).build());
    }

    /** Fleet A writing as "bot-1": failing B's task ids first, resending B's event ids, settling B's open task. */
    private static void fleetAWritingAsBot1(TopologyFixture fx) {
        for (int i = 0; i < 6; i++) {
            fx.outcome(OutcomeEvent.newBuilder().setEventId("a-outcome-" + i).setAgentId("bot-1").setFleet("A").setTaskId("t" + i)
                    .setStatus(FAILED).setHumanInterventions(3).setOccurredAt(at(0, i * 5)).build());
            fx.spend(SpendEvent.newBuilder().setEventId("b-spend-" + i).setAgentId("bot-1").setFleet("A").setTaskId("t" + i)
                    .setKind(INFERENCE).setCostMicros(900_000).setOccurredAt(at(0, i * 5)).build());
        }
        fx.outcome(OutcomeEvent.newBuilder().setEventId("a-close").setAgentId("bot-1").setFleet("A").setTaskId("still-open")
                .setStatus(FAILED).setOccurredAt(at(0, 45)).build());
        fx.spend(SpendEvent.newBuilder().setEventId("a-late").setAgentId("bot-1").setFleet("A").setKind(INFERENCE).setCostMicros(1)
                .setOccurredAt(at(4, 0)).build()); // and moving "bot-1"'s clock on
    }

    private static List<String> fleetBRows(TopologyFixture fx) {
        return fx.allMetrics().stream().filter(m -> "B".equals(m.getFleet()) && m.getAgentId() != null)
                .map(m -> m.getWindow() + "@" + m.getWindowEnd() + " " + dev.asr.streams.figures.Basket.figures(m) + " open="
                        + m.getOpenSpendMicros() + " band=" + m.getBand())
                .toList();
    }

    @Test
    void eventsOfAnotherFleetNamingTheSameAgentIdNeverTouchThisAgent() throws Exception {
        List<String> alone;
        List<BandTransition> aloneTransitions;
        try (TopologyFixture fx = new TopologyFixture()) {
            fleetBsAgent(fx);
            fx.tick(at(3, 0));
            alone = fleetBRows(fx);
            aloneTransitions = fx.transitions();
        }
        try (TopologyFixture fx = new TopologyFixture()) {
            fleetBsAgent(fx);
            fleetAWritingAsBot1(fx);
            fx.tick(at(3, 0));
            assertThat(fleetBRows(fx)).isEqualTo(alone);
            List<BandTransition> transitions = fx.transitions();
            assertThat(transitions.stream().filter(t -> t.getFleet().equals("B")).toList()).isEqualTo(aloneTransitions);
            assertThat(transitions).extracting(BandTransition::getTransitionId).doesNotHaveDuplicates();

            AgentWindowMetrics b = fx.metrics("B/bot-1", "1m", at(1, 0));
            assertThat(b.getAsr()).isEqualTo(1.0);
            assertThat(b.getOpenSpendMicros()).as("B's task is still open").isEqualTo(55_000);
            AgentWindowMetrics a = fx.metrics("A/bot-1", "1m", at(1, 0));
            assertThat(a.getSettledTasks()).as("A's own tasks: six of its own plus its 'still-open'").isEqualTo(7);
            assertThat(a.getSpendMicros()).isEqualTo(6 * 900_000);
            assertThat(a.getAutonomousSpendMicros()).isZero();
        }
        assertThat(alone).isNotEmpty();
        assertThat(aloneTransitions).singleElement().satisfies(t -> assertThat(t.getTransitionId()).startsWith("B/bot-1@"));
    }
}
