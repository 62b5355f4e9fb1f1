package dev.asr.streams;

import static dev.asr.event.OutcomeStatus.ABANDONED;
import static dev.asr.event.OutcomeStatus.FAILED;
import static dev.asr.event.OutcomeStatus.SUCCEEDED;
import static dev.asr.event.SpendKind.HUMAN;
import static dev.asr.event.SpendKind.IDLE;
import static dev.asr.event.SpendKind.INFERENCE;
import static dev.asr.event.SpendKind.OVERHEAD;
import static dev.asr.event.SpendKind.TOOL_CALL;
import static dev.asr.event.SpendKind.TRANSACTION;
import static dev.asr.streams.TopologyFixture.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.Direction;
import dev.asr.event.SpendEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Every rule of SPEC §1–4 pinned on the topology, with figures computed by hand. */
class AgentTopologyTest {

    private static final Instant END_1 = T0.plus(Duration.ofMinutes(1));

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

    private SpendEvent spend(String agent, String task, dev.asr.event.SpendKind kind, long cost, long in, long out, Instant at) {
        return fx.spend(SpendEvent.newBuilder().setEventId("e-" + at.toEpochMilli() + "-" + task + "-" + kind + "-" + cost)
                .setAgentId(agent).setFleet(TopologyFixture.fleetOf(agent)).setTaskId(task).setKind(kind).setCostMicros(cost)
                .setInputTokens(in).setOutputTokens(out).setOccurredAt(at).build());
    }

    @Test
    void theWholeBasketOfAHandComputedMinute() throws Exception {
        fx = new TopologyFixture();
        // t1: autonomous success. t2: success with a human. t3: failed. t4: abandoned. Idle and overhead: no task.
        spend("agent-a", "t1", INFERENCE, 100_000, 1_000, 200, at(0, 1));
        spend("agent-a", "t1", TOOL_CALL, 50_000, 0, 0, at(0, 2));
        fx.outcome("agent-a", "t1", SUCCEEDED, 1_000_000, 0, at(0, 10));
        spend("agent-a", "t2", INFERENCE, 200_000, 2_000, 500, at(0, 11));
        spend("agent-a", "t2", HUMAN, 300_000, 0, 0, at(0, 12));
        fx.outcome("agent-a", "t2", SUCCEEDED, 2_000_000, 1, at(0, 20));
        spend("agent-a", "t3", INFERENCE, 150_000, 500, 100, at(0, 21));
        fx.outcome("agent-a", "t3", FAILED, 0, 0, at(0, 30));
        spend("agent-a", "t4", TRANSACTION, 50_000, 0, 0, at(0, 31));
        fx.outcome("agent-a", "t4", ABANDONED, 0, 0, at(0, 35));
        spend("agent-a", null, IDLE, 20_000, 0, 0, at(0, 40));
        spend("agent-a", null, OVERHEAD, 30_000, 0, 0, at(0, 41));
        // t5 stays open: visible as open spend and in the cash view, not in the ratio.
        spend("agent-a", "t5", INFERENCE, 70_000, 300, 50, at(0, 45));
        fx.tick(at(3, 0)); // closes [T0, T0+1m): its end plus the 2 min grace has passed

        AgentWindowMetrics m = fx.metrics("agent-a", "5m", END_1);
        assertThat(m).isNotNull();
        assertThat(m.getFleet()).isEqualTo("support");
        assertThat(m.getWindowStart()).isEqualTo(at(-4, 0));
        assertThat(m.getCurrency()).isEqualTo("USD");
        assertThat(m.getSpendMicros()).isEqualTo(900_000);           // 150k + 500k + 150k + 50k + 20k + 30k
        assertThat(m.getAutonomousSpendMicros()).isEqualTo(150_000); // t1
        assertThat(m.getUnattributedSpendMicros()).isEqualTo(50_000);
        assertThat(m.getOpenSpendMicros()).isEqualTo(70_000);
        assertThat(m.getCashSpendMicros()).isEqualTo(970_000);
        assertThat(m.getValueMicros()).isEqualTo(3_000_000);
        assertThat(m.getAutonomousValueMicros()).isEqualTo(1_000_000);
        assertThat(m.getIdleSpendMicros()).isEqualTo(50_000);
        assertThat(m.getHumanSpendMicros()).isEqualTo(300_000);
        assertThat(m.getInputTokens()).isEqualTo(3_500);
        assertThat(m.getOutputTokens()).isEqualTo(800);
        assertThat(m.getActions()).isEqualTo(8);
        assertThat(m.getSettledTasks()).isEqualTo(4);
        assertThat(m.getSucceededTasks()).isEqualTo(2);
        assertThat(m.getAutonomousTasks()).isEqualTo(1);
        assertThat(m.getFailedTasks()).isEqualTo(1);
        assertThat(m.getAbandonedTasks()).isEqualTo(1);
        assertThat(m.getTimedOutTasks()).isZero();
        assertThat(m.getHumanInterventions()).isEqualTo(1);
        assertThat(m.getLateRecords()).isZero();
        assertThat(m.getAsr()).isCloseTo(150_000 / 900_000.0, within(1e-12));
        assertThat(m.getAutonomousRoi()).isCloseTo(1_000_000 / 900_000.0, within(1e-12));
        assertThat(m.getRoi()).isCloseTo(3_000_000 / 900_000.0, within(1e-12));
        assertThat(m.getWinRate()).isEqualTo(0.5);
        assertThat(m.getAutonomyRate()).isEqualTo(0.25);
        assertThat(m.getEvPerToken()).isCloseTo(3.0 / 4_300, within(1e-15));
        assertThat(m.getCostPerAction()).isCloseTo(0.9 / 8, within(1e-12));
        assertThat(m.getCostPerAutonomousSuccess()).isCloseTo(0.9, within(1e-12));
        assertThat(m.getIdleShare()).isCloseTo(50_000 / 900_000.0, within(1e-12));
        assertThat(m.getHumanShare()).isCloseTo(300_000 / 900_000.0, within(1e-12));
        assertThat(m.getHumanInterventionsPerTask()).isEqualTo(0.25);
        assertThat(m.getBurnRate()).isCloseTo(0.97 / 300, within(1e-12));
        assertThat(m.getBand()).as("4 settled tasks < 5").isEqualTo(Band.UNRATED);
        assertThat(m.getAgents()).isEqualTo(1);
        // The same minute in the 1h and 24h views: same sums, longer window.
        assertThat(fx.metrics("agent-a", "1h", END_1).getSpendMicros()).isEqualTo(900_000);
        assertThat(fx.metrics("agent-a", "24h", END_1).getBurnRate()).isCloseTo(0.97 / 86_400, within(1e-15));
        assertThat(fx.transitions()).isEmpty();
    }

    @Test
    void aRatioWithAZeroDenominatorIsAbsent() throws Exception {
        fx = new TopologyFixture();
        spend("agent-a", "t1", TOOL_CALL, 0, 0, 0, at(0, 1)); // a free action on a task that stays open
        fx.tick(at(3, 0));
        AgentWindowMetrics m = fx.metrics("agent-a", "5m", END_1);
        assertThat(m.getSpendMicros()).isZero();
        assertThat(m.getAsr()).isNull();
        assertThat(m.getAutonomousRoi()).isNull();
        assertThat(m.getRoi()).isNull();
        assertThat(m.getWinRate()).isNull();
        assertThat(m.getAutonomyRate()).isNull();
        assertThat(m.getEvPerToken()).isNull();
        assertThat(m.getCostPerAction()).isNull();
        assertThat(m.getCostPerAutonomousSuccess()).isNull();
        assertThat(m.getIdleShare()).isNull();
        assertThat(m.getHumanShare()).isNull();
        assertThat(m.getHumanInterventionsPerTask()).isNull();
        assertThat(m.getBurnRate()).isEqualTo(0.0);
    }

    @Test
    void aSilentTaskTimesOutOnEventTime() throws Exception {
        fx = new TopologyFixture();
        spend("agent-b", "t1", INFERENCE, 100_000, 0, 0, at(0, 5));
        fx.tick(at(3, 0));
        AgentWindowMetrics open = fx.metrics("agent-b", "5m", END_1);
        assertThat(open.getOpenSpendMicros()).isEqualTo(100_000);
        assertThat(open.getSpendMicros()).isZero();
        assertThat(open.getCashSpendMicros()).isEqualTo(100_000);

        fx.tick(at(63, 0)); // the task's deadline, T0+1h+5s, falls in [T0+1h, T0+1h+1m), which closes at T0+1h+3m
        Instant end = at(61, 0);
        AgentWindowMetrics settled = fx.metrics("agent-b", "5m", end);
        assertThat(settled.getTimedOutTasks()).isEqualTo(1);
        assertThat(settled.getSettledTasks()).isEqualTo(1);
        assertThat(settled.getSpendMicros()).isEqualTo(100_000);
        assertThat(settled.getAsr()).isEqualTo(0.0);
        assertThat(settled.getOpenSpendMicros()).isZero();
        assertThat(fx.metrics("agent-b", "5m", at(60, 0)).getTimedOutTasks()).as("not a bucket early").isZero();
        assertThat(fx.counters.timedOut()).isEqualTo(1);
    }

    @Test
    void aSilentTaskTimesOutOnTheWallClockWhenThePartitionIsQuiet() throws Exception {
        fx = new TopologyFixture();
        Instant now = fx.wallClock(); // the event arrives as it happens: the agent is live
        spend("agent-b", "t1", INFERENCE, 100_000, 0, 0, now.plusSeconds(5));
        fx.advanceWallClock(Duration.ofMinutes(30));
        assertThat(fx.counters.timedOut()).isZero();
        fx.advanceWallClock(Duration.ofMinutes(36)); // 1h06m quiet: 2m grace, then deadline + bucket + grace
        AgentWindowMetrics settled = fx.metrics("agent-b", "5m", now.plus(Duration.ofMinutes(61)));
        assertThat(settled).isNotNull();
        assertThat(settled.getTimedOutTasks()).isEqualTo(1);
        assertThat(settled.getSpendMicros()).isEqualTo(100_000);
    }

    @Test
    void aSilentTaskOfAnAgentReadingHistoryTimesOutOnTheWallClockOnlyAfterTheMaxWait() throws Exception {
        fx = new TopologyFixture();
        spend("agent-b", "t1", INFERENCE, 100_000, 0, 0, at(0, 5)); // read an hour after it happened: a backlog
        fx.advanceWallClock(Duration.ofMinutes(66)); // what times a live agent's task out (above)
        assertThat(fx.counters.timedOut()).as("its next events may not have been read yet").isZero();
        fx.advanceWallClock(Duration.ofMinutes(8)); // 1h14m quiet: 10m max wait, then deadline + bucket + grace
        AgentWindowMetrics settled = fx.metrics("agent-b", "5m", at(61, 0));
        assertThat(settled).isNotNull();
        assertThat(settled.getTimedOutTasks()).isEqualTo(1);
        assertThat(settled.getSpendMicros()).isEqualTo(100_000);
    }

    @Test
    void spendForASettledTaskIsUnattributed() throws Exception {
        fx = new TopologyFixture();
        spend("agent-a", "t1", INFERENCE, 100_000, 0, 0, at(0, 1));
        fx.outcome("agent-a", "t1", SUCCEEDED, 500_000, 0, at(0, 10));
        spend("agent-a", "t1", INFERENCE, 40_000, 0, 0, at(0, 20));
        fx.tick(at(3, 0));
        AgentWindowMetrics m = fx.metrics("agent-a", "5m", END_1);
        assertThat(m.getSpendMicros()).isEqualTo(140_000);
        assertThat(m.getAutonomousSpendMicros()).isEqualTo(100_000);
        assertThat(m.getUnattributedSpendMicros()).isEqualTo(40_000);
        assertThat(m.getOpenSpendMicros()).isZero();
        assertThat(m.getSettledTasks()).isEqualTo(1);
    }

    @Test
    void duplicateEventsCountOnceAndASecondOutcomeIsADuplicate() throws Exception {
        fx = new TopologyFixture();
        SpendEvent first = spend("agent-a", "t1", INFERENCE, 100_000, 0, 0, at(0, 1));
        fx.spend(first);
        var outcome = fx.outcome("agent-a", "t1", SUCCEEDED, 500_000, 0, at(0, 10));
        fx.outcome(outcome);
        fx.outcome("agent-a", "t1", FAILED, 0, 0, at(0, 15)); // another id, same task: already settled
        fx.tick(at(3, 0));
        AgentWindowMetrics m = fx.metrics("agent-a", "5m", END_1);
        assertThat(m.getSpendMicros()).isEqualTo(100_000);
        assertThat(m.getActions()).isEqualTo(1);
        assertThat(m.getSettledTasks()).isEqualTo(1);
        assertThat(m.getSucceededTasks()).isEqualTo(1);
        assertThat(m.getFailedTasks()).isZero();
        assertThat(m.getValueMicros()).isEqualTo(500_000);
        assertThat(fx.counters.duplicates()).isEqualTo(3);
    }

    @Test
    void eventsWithinGraceCountInTheirBucketAndLaterOnesGoToTheEarliestOpenBucketCountedAsLate() throws Exception {
        fx = new TopologyFixture();
        spend("agent-a", null, IDLE, 0, 0, 0, at(0, 0));
        spend("agent-a", null, IDLE, 0, 0, 0, at(10, 0)); // agent-a's clock: its buckets ending at or before T0+8m are closed
        spend("agent-a", "on-time", INFERENCE, 100_000, 0, 0, at(8, 0)); // T0+8m: within grace of T0+10m
        spend("agent-a", "late", INFERENCE, 300_000, 0, 0, at(7, 59)); // its bucket closed at T0+10m
        fx.tick(at(13, 0));
        AgentWindowMetrics minute8 = fx.metrics("agent-a", "1m", at(9, 0));
        assertThat(minute8.getCashSpendMicros()).as("spend is money: the late one is applied, to the earliest open bucket")
                .isEqualTo(400_000);
        assertThat(minute8.getOpenSpendMicros()).isEqualTo(400_000);
        assertThat(minute8.getLateRecords()).isEqualTo(1);
        assertThat(fx.metrics("agent-a", "1m", at(8, 0)).getCashSpendMicros()).as("its own bucket had closed").isZero();
        assertThat(fx.counters.late()).isEqualTo(1);
    }

    @Test
    void aBucketLeavesEachViewWhenItIsOlderThanTheView() throws Exception {
        fx = new TopologyFixture();
        fx.task("agent-a", "t1", 2, 100_000, SUCCEEDED, 0, 0, at(0, 1));
        fx.tick(at(9, 0));
        assertThat(fx.metrics("agent-a", "5m", at(5, 0)).getSpendMicros()).isEqualTo(200_000);
        assertThat(fx.metrics("agent-a", "5m", at(6, 0)).getSpendMicros()).isZero();
        assertThat(fx.metrics("agent-a", "1h", at(6, 0)).getSpendMicros()).isEqualTo(200_000);
        assertThat(fx.metrics("agent-a", "5m", at(6, 0)).getWindowStart()).isEqualTo(at(1, 0));
    }

    @Test
    void enoughEvidenceRatesTheAgentOnceWithADeterministicId() throws Exception {
        fx = new TopologyFixture();
        for (int i = 0; i < 5; i++) {
            fx.task("agent-a", "t" + i, 2, 50_000, SUCCEEDED, 100_000, 0, at(0, i * 5));
        }
        for (int i = 0; i < 4; i++) {
            fx.task("agent-c", "t" + i, 2, 50_000, SUCCEEDED, 100_000, 0, at(0, i * 5)); // only 4 tasks
        }
        fx.tick(at(5, 0));
        List<BandTransition> transitions = fx.transitions();
        assertThat(transitions).singleElement().satisfies(t -> {
            assertThat(t.getTransitionId()).isEqualTo("support/agent-a@" + END_1.toEpochMilli());
            assertThat(t.getAgentId()).isEqualTo("agent-a");
            assertThat(t.getFleet()).isEqualTo("support");
            assertThat(t.getFromBand()).isEqualTo(Band.UNRATED);
            assertThat(t.getToBand()).isEqualTo(Band.SELF_DIRECTED);
            assertThat(t.getDirection()).isEqualTo(Direction.RATED);
            assertThat(t.getAsr()).isEqualTo(1.0);
            assertThat(t.getSettledTasks()).isEqualTo(5);
            assertThat(t.getSpendMicros()).isEqualTo(500_000);
            assertThat(t.getAutonomousSpendMicros()).isEqualTo(500_000);
            assertThat(t.getWindow()).isEqualTo("1h");
            assertThat(t.getWindowStart()).isEqualTo(END_1.minus(Duration.ofHours(1)));
            assertThat(t.getWindowEnd()).isEqualTo(END_1);
            assertThat(t.getOccurredAt()).isEqualTo(END_1);
        });
        assertThat(fx.metrics("agent-a", "5m", at(2, 0)).getBand()).isEqualTo(Band.SELF_DIRECTED);
        assertThat(fx.metrics("agent-c", "5m", at(2, 0)).getBand()).isEqualTo(Band.UNRATED);
    }

    @Test
    void anAgentThatGoesQuietReturnsToUnratedNotDown() throws Exception {
        fx = new TopologyFixture();
        for (int i = 0; i < 5; i++) {
            fx.task("agent-a", "t" + i, 1, 100_000, SUCCEEDED, 0, 0, at(0, i));
        }
        fx.tick(at(63, 0)); // the minute leaves the 1h view when [T0+1h, T0+1h+1m) closes
        List<BandTransition> transitions = fx.transitions();
        assertThat(transitions).extracting(BandTransition::getDirection).containsExactly(Direction.RATED, Direction.UNRATED);
        assertThat(transitions.get(1).getFromBand()).isEqualTo(Band.SELF_DIRECTED);
        assertThat(transitions.get(1).getToBand()).isEqualTo(Band.UNRATED);
        assertThat(transitions.get(1).getTransitionId()).isEqualTo("support/agent-a@" + at(61, 0).toEpochMilli());
        assertThat(transitions.get(1).getAsr()).isNull();
    }

    @Test
    void hysteresisKeepsAnAgentAtTheBoundaryAndADropIsEmittedOnce() throws Exception {
        fx = new TopologyFixture();
        // Minute 0: 6 of 10 tasks autonomous → 0.6 → SELF_DIRECTED (first rating: plain thresholds).
        tasks("agent-a", 0, 6, 4);
        // Minute 1: 5 of 10 → 1h view 11/20 = 0.55: not below 0.6 - 0.05, stays.
        tasks("agent-a", 1, 5, 5);
        // Minute 2: 4 of 10 → 15/30 = 0.5 < 0.55: ASSISTED.
        tasks("agent-a", 2, 4, 6);
        fx.tick(at(6, 0));
        List<BandTransition> transitions = fx.transitions();
        assertThat(transitions).extracting(BandTransition::getToBand).containsExactly(Band.SELF_DIRECTED, Band.ASSISTED);
        assertThat(transitions.get(1).getDirection()).isEqualTo(Direction.DOWN);
        assertThat(transitions.get(1).getAsr()).isEqualTo(0.5);
        assertThat(transitions.get(1).getWindowEnd()).isEqualTo(at(3, 0));
        assertThat(fx.metrics("agent-a", "1h", at(2, 0)).getAsr()).isEqualTo(0.55);
        assertThat(fx.metrics("agent-a", "1h", at(2, 0)).getBand()).isEqualTo(Band.SELF_DIRECTED);
    }

    private void tasks(String agent, int minute, int autonomous, int failed) {
        for (int i = 0; i < autonomous + failed; i++) {
            fx.task(agent, "m" + minute + "-t" + i, 1, 100_000, i < autonomous ? SUCCEEDED : FAILED, 0, 0, at(minute, i));
        }
    }

    @Test
    void bandThresholdsAndEvidenceComeFromSettingsPerFleet() throws Exception {
        fx = new TopologyFixture(Map.of("asr.band.fleet.trading.self-directed-from", "0.9", "asr.band.min-tasks", "2"));
        for (int i = 0; i < 2; i++) {
            fx.task("trader-1", "t" + i, 1, 100_000, i == 0 ? SUCCEEDED : SUCCEEDED, 0, 0, at(0, i));
            fx.task("agent-a", "t" + i, 1, 100_000, SUCCEEDED, 0, 0, at(0, i));
        }
        fx.task("trader-1", "t9", 1, 25_000, FAILED, 0, 0, at(0, 30)); // 200k / 225k = 0.888 < 0.9
        fx.tick(at(3, 0));
        assertThat(fx.metrics("trader-1", "1h", END_1).getBand()).isEqualTo(Band.ASSISTED);
        assertThat(fx.metrics("agent-a", "1h", END_1).getBand()).isEqualTo(Band.SELF_DIRECTED);
    }

    @Test
    void everyTransitionIsEmittedExactlyOnce() throws Exception {
        fx = new TopologyFixture();
        for (int minute = 0; minute < 30; minute++) {
            int autonomous = (minute / 5) % 2 == 0 ? 9 : 1;
            tasks("agent-a", minute, autonomous, 10 - autonomous);
        }
        fx.tick(at(150, 0));
        List<BandTransition> transitions = fx.transitions();
        assertThat(transitions).isNotEmpty();
        assertThat(transitions).extracting(BandTransition::getTransitionId).doesNotHaveDuplicates();
        for (int i = 1; i < transitions.size(); i++) {
            assertThat(transitions.get(i).getFromBand()).isEqualTo(transitions.get(i - 1).getToBand());
            assertThat(transitions.get(i).getToBand()).isNotEqualTo(transitions.get(i).getFromBand());
        }
    }

    @Test
    void fleetRowsSumTheirAgents() throws Exception {
        fx = new TopologyFixture();
        fx.task("agent-a", "t1", 2, 100_000, SUCCEEDED, 1_000_000, 0, at(0, 1));
        fx.task("agent-b", "t1", 1, 300_000, FAILED, 0, 0, at(0, 2));
        fx.tick(at(5, 0)); // closes up to T0+3m; fleet windows ending by T0+2m are due (emit delay 1m)
        AgentWindowMetrics fleet = fx.metrics("fleet:support", "5m", END_1);
        assertThat(fleet).isNotNull();
        assertThat(fleet.getAgentId()).isNull();
        assertThat(fleet.getAgents()).isEqualTo(2);
        assertThat(fleet.getSpendMicros()).isEqualTo(500_000);
        assertThat(fleet.getAutonomousSpendMicros()).isEqualTo(200_000);
        assertThat(fleet.getAsr()).isEqualTo(0.4);
        assertThat(fleet.getSettledTasks()).isEqualTo(2);
        assertThat(fleet.getWindowStart()).isEqualTo(at(-4, 0));
        assertThat(fleet.getBand()).as("2 tasks < 5").isEqualTo(Band.UNRATED);
    }

    @Test
    void anAgentSilentForLongerThanTheLongestViewIsForgotten() throws Exception {
        fx = new TopologyFixture(Map.of("asr.views", "5m", "asr.band.view", "5m"));
        fx.task("agent-a", "t1", 1, 100_000, SUCCEEDED, 0, 0, at(0, 1));
        fx.tick(at(20, 0));
        List<AgentWindowMetrics> rows = fx.allMetrics().stream().filter(m -> "agent-a".equals(m.getAgentId())).toList();
        assertThat(rows).extracting(AgentWindowMetrics::getWindowEnd)
                .containsExactly(at(1, 0), at(2, 0), at(3, 0), at(4, 0), at(5, 0), at(6, 0));
        assertThat(rows.get(rows.size() - 1).getSpendMicros()).as("the last row says it is gone").isZero();
    }
}
