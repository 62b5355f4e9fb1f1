package dev.asr.streams;

import static dev.asr.event.OutcomeStatus.FAILED;
import static dev.asr.event.OutcomeStatus.SUCCEEDED;
import static dev.asr.event.SpendKind.IDLE;
import static dev.asr.event.SpendKind.INFERENCE;
import static dev.asr.streams.TopologyFixture.T0;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.rules.Rejection;
import dev.asr.streams.processor.DeadLetters;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * SPEC §4 v2 on the topology: per-agent time, late events applied, late outcomes settling, arrival
 * order across the two topics changing no figure. Every case fails on a topology with one clock per
 * partition that drops late events.
 */
class EventTimeTopologyTest {

    private TopologyFixture fx;

    @AfterEach
    void close() {
        if (fx != null) {
            fx.close();
        }
    }

    private static Instant at(int minutes, int seconds) {
        return T0.plus(Duration.ofMinutes(minutes)).plusSeconds(seconds);
    }

    @Test
    void anAgentStampingItsEventsAheadDoesNotMakeAnotherAgentsOnTimeEventsLate() throws Exception {
        fx = new TopologyFixture();
        fx.spend("steady", "s1", INFERENCE, 100_000, at(0, 10));
        fx.outcome("steady", "s1", SUCCEEDED, 500_000, 0, at(0, 20));
        fx.spend("skewed", null, IDLE, 1_000, at(4, 10)); // its host's clock runs four minutes ahead
        fx.spend("steady", "s2", INFERENCE, 200_000, at(0, 30));
        fx.outcome("steady", "s2", FAILED, 0, 0, at(0, 40));
        fx.tick(at(3, 0));
        AgentWindowMetrics steady = fx.metrics("steady", "1m", at(1, 0));
        assertThat(steady.getSpendMicros()).isEqualTo(300_000);
        assertThat(steady.getSettledTasks()).isEqualTo(2);
        assertThat(steady.getAutonomousSpendMicros()).isEqualTo(100_000);
        assertThat(steady.getLateRecords()).isZero();
        assertThat(fx.counters.late()).isZero();
        fx.tick(at(8, 0));
        assertThat(fx.metrics("skewed", "1m", at(5, 0)).getCashSpendMicros()).isEqualTo(1_000);
    }

    @Test
    void anOutcomeArrivingAfterItsBucketClosedSettlesItsOpenTaskAndTheTaskNeverTimesOut() throws Exception {
        fx = new TopologyFixture();
        fx.spend("agent-a", "t1", INFERENCE, 100_000, at(0, 10));
        fx.spend("agent-a", null, IDLE, 0, at(5, 0)); // the agent's clock: buckets ending by T0+3m are closed
        fx.outcome("agent-a", "t1", SUCCEEDED, 400_000, 0, at(0, 30)); // its own bucket [T0, T0+1m) closed long ago
        fx.tick(at(6, 0));
        AgentWindowMetrics settledIn = fx.metrics("agent-a", "1m", at(4, 0));
        assertThat(settledIn.getSettledTasks()).as("settled in the earliest open bucket").isEqualTo(1);
        assertThat(settledIn.getAutonomousSpendMicros()).isEqualTo(100_000);
        assertThat(settledIn.getValueMicros()).isEqualTo(400_000);
        assertThat(settledIn.getLateRecords()).isEqualTo(1);
        assertThat(fx.metrics("agent-a", "1m", at(1, 0)).getOpenSpendMicros()).as("open until the outcome came").isEqualTo(100_000);
        fx.tick(at(75, 0)); // past the task's deadline, T0+1h0m10s
        AgentWindowMetrics day = fx.metrics("agent-a", "24h", at(73, 0));
        assertThat(day.getSettledTasks()).isEqualTo(1);
        assertThat(day.getTimedOutTasks()).as("an outcome arrived before the timeout fired").isZero();
        assertThat(fx.counters.timedOut()).isZero();
    }

    @Test
    void spendStampedBeforeItsTasksOutcomeThatArrivesAfterItWithinGraceCountsToTheTask() throws Exception {
        fx = new TopologyFixture();
        fx.outcome("agent-a", "t1", SUCCEEDED, 400_000, 0, at(0, 25)); // the outcomes topic was read first
        fx.spend("agent-a", "t1", INFERENCE, 100_000, at(0, 10));
        fx.spend("agent-a", "t1", INFERENCE, 50_000, at(0, 25)); // at the settlement: still the task's
        fx.spend("agent-a", "t1", INFERENCE, 7_000, at(0, 26)); // after it: unattributed
        fx.tick(at(3, 0));
        AgentWindowMetrics m = fx.metrics("agent-a", "1m", at(1, 0));
        assertThat(m.getSpendMicros()).isEqualTo(157_000);
        assertThat(m.getAutonomousSpendMicros()).isEqualTo(150_000);
        assertThat(m.getUnattributedSpendMicros()).isEqualTo(7_000);
        assertThat(m.getActions()).isEqualTo(3);
        assertThat(m.getSettledTasks()).isEqualTo(1);
        assertThat(m.getOpenSpendMicros()).isZero();
    }

    @Test
    void spendForASettledTaskArrivingAfterTheSettlementsBucketClosedIsUnattributed() throws Exception {
        fx = new TopologyFixture();
        fx.outcome("agent-a", "t1", SUCCEEDED, 400_000, 0, at(0, 25));
        fx.spend("agent-a", null, IDLE, 0, at(4, 0)); // closes the outcome's bucket
        fx.spend("agent-a", "t1", INFERENCE, 100_000, at(0, 10));
        fx.tick(at(6, 0));
        assertThat(fx.metrics("agent-a", "1m", at(1, 0)).getAutonomousSpendMicros()).isZero();
        AgentWindowMetrics late = fx.metrics("agent-a", "1m", at(3, 0));
        assertThat(late.getUnattributedSpendMicros()).isEqualTo(100_000);
        assertThat(late.getLateRecords()).isEqualTo(1);
    }

    /** The measured case: outcomes stamped 15 s after their spend, produced together, read in either order. */
    @Test
    void theOrderTheTwoTopicsAreReadInChangesNoFigureNorBand() throws Exception {
        List<String> spendFirst = run(false);
        List<String> outcomesFirst = run(true);
        assertThat(outcomesFirst).isEqualTo(spendFirst);
        assertThat(spendFirst).anyMatch(row -> row.startsWith("1h@1 asr=0.571"));
    }

    private List<String> run(boolean outcomesFirst) throws Exception {
        try (TopologyFixture f = new TopologyFixture()) {
            for (int i = 0; i < 7; i++) {
                Instant spendAt = at(0, i * 2);
                SpendEvent spend = SpendEvent.newBuilder().setEventId("s" + i).setAgentId("trader-1").setFleet("trading")
                        .setTaskId("t" + i).setKind(INFERENCE).setCostMicros(1_000_000 / 7 + (i == 0 ? 1_000_000 % 7 : 0))
                        .setOccurredAt(spendAt).build();
                OutcomeEvent outcome = OutcomeEvent.newBuilder().setEventId("o" + i).setAgentId("trader-1").setFleet("trading")
                        .setTaskId("t" + i).setStatus(i < 4 ? SUCCEEDED : FAILED).setOccurredAt(spendAt.plusSeconds(15)).build();
                if (outcomesFirst) {
                    f.outcome(outcome);
                    f.spend(spend);
                } else {
                    f.spend(spend);
                    f.outcome(outcome);
                }
            }
            f.tick(at(4, 0));
            List<String> rows = new java.util.ArrayList<>(f.allMetrics().stream().filter(m -> m.getAgentId() != null)
                    .map(m -> m.getWindow() + "@" + Duration.between(T0, m.getWindowEnd()).toMinutes() + " asr="
                            + (m.getAsr() == null ? "-" : String.format("%.3f", m.getAsr())) + " spend=" + m.getSpendMicros()
                            + " autonomous=" + m.getAutonomousSpendMicros() + " unattributed=" + m.getUnattributedSpendMicros()
                            + " band=" + m.getBand())
                    .toList());
            for (BandTransition t : f.transitions()) {
                rows.add("transition " + t.getTransitionId() + " " + t.getFromBand() + "->" + t.getToBand());
            }
            return rows;
        }
    }

    @Test
    void anEventOlderThanItsAgentsClockByMoreThanTheLongestViewIsDeadLetteredTooLate() throws Exception {
        fx = new TopologyFixture(Map.of("asr.views", "5m", "asr.band.view", "5m"));
        fx.spend("agent-a", null, IDLE, 0, at(10, 0));
        fx.spend("agent-a", "t1", INFERENCE, 100_000, at(5, 0)); // exactly the longest view behind: late, applied
        SpendEvent tooLate = fx.spend("agent-a", "t2", INFERENCE, 200_000, at(4, 59));
        var dead = fx.deadLetters();
        assertThat(dead).singleElement().satisfies(record -> {
            assertThat(TopologyFixture.header(record, DeadLetters.REASON)).isEqualTo(Rejection.TOO_LATE.code());
            assertThat(TopologyFixture.header(record, DeadLetters.ERROR)).contains("occurred_at is " + tooLate.getOccurredAt(),
                    "more than 5m (the longest of asr.views) before agent support/agent-a's latest event, " + at(10, 0));
        });
        fx.tick(at(13, 0));
        assertThat(fx.metrics("agent-a", "5m", at(9, 0)).getCashSpendMicros()).isEqualTo(100_000);
        assertThat(fx.counters.late()).isEqualTo(1);
    }

    @Test
    void aSilentAgentsBucketsCloseOnTheWallClockWhileAnotherAgentKeepsReporting() throws Exception {
        fx = new TopologyFixture();
        Instant now = fx.wallClock(); // events arrive as they happen: both agents are live
        fx.spend("quiet", "q1", INFERENCE, 100_000, now.plusSeconds(5));
        for (int second = 0; second < 300; second += 10) {
            fx.spend("busy", null, IDLE, 1, now.plusSeconds(second));
            fx.advanceWallClock(Duration.ofSeconds(10));
        }
        assertThat(fx.metrics("quiet", "1m", now.plusSeconds(60))).as("5 min of wall time without an event: 2 min of grace, then"
                + " the clock runs with the wall clock to 3m05s, past the bucket's end plus grace").isNotNull();
        assertThat(fx.metrics("busy", "1m", now.plusSeconds(60))).as("busy's own clock is only at 4m50s").isNotNull();
    }

    @Test
    void anAgentReadingHistoryIsNotMovedOnByTheWallClockWhileItsPartitionReadsTheBacklog() throws Exception {
        fx = new TopologyFixture();
        fx.spend("quiet", "q1", INFERENCE, 100_000, at(0, 5)); // read an hour after it happened
        for (int second = 0; second < 300; second += 10) {
            fx.spend("busy", null, IDLE, 1, at(0, second)); // the backlog, read at the pace of the wall clock
            fx.advanceWallClock(Duration.ofSeconds(10));
        }
        assertThat(fx.metrics("quiet", "1m", at(1, 0))).as("5 min of wall time without an event of its own is not silence in a"
                + " backlog: how fast the backlog is read must not decide which of its events are late").isNull();
        fx.spend("quiet", "q1", INFERENCE, 50_000, at(2, 0)); // its next event in the backlog
        fx.tick(at(5, 0));
        AgentWindowMetrics minute2 = fx.metrics("quiet", "5m", at(3, 0));
        assertThat(minute2.getCashSpendMicros()).isEqualTo(150_000);
        assertThat(minute2.getLateRecords()).as("on time, as when the backlog is read fast").isZero();
    }
}
