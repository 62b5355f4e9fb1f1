package dev.asr.streams.ledger;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.figures.Figure;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The task ledger's rules (SPEC §1, §4 v2, §6 v2) over in-memory stores; times in seconds, buckets of a minute. */
class TaskLedgerTest {

    private static final long S = 1_000;
    private static final long TIMEOUT = 3_600 * S;
    private static final AgentKey BOT = new AgentKey("support", "bot-1");

    private final Set<String> ids = new HashSet<>();
    private final Map<String, Settlement> settled = new HashMap<>();
    private final SeenIds seen = (agent, id) -> ids.add(agent + "|" + id);
    private final SettledTasks settledTasks = new SettledTasks() {
        @Override
        public Settlement find(AgentKey agent, String taskId) {
            return settled.get(agent + "|" + taskId);
        }

        @Override
        public void remember(AgentKey agent, String taskId, Settlement settlement) {
            settled.put(agent + "|" + taskId, settlement);
        }
    };
    private final TaskLedger ledger = new TaskLedger(seen, settledTasks, TIMEOUT);
    private final Tasks open = new Tasks();
    private int next;

    private static final class Tasks implements OpenTasks {
        final Map<String, TaskState> byId = new HashMap<>();

        @Override
        public TaskState get(String taskId) {
            return byId.get(taskId);
        }

        @Override
        public void put(TaskState task) {
            byId.putIfAbsent(task.taskId(), task);
        }

        @Override
        public void remove(TaskState task) {
            byId.remove(task.taskId());
        }

        @Override
        public Iterator<TaskState> iterator() {
            return byId.values().iterator();
        }
    }

    private SpendEvent spend(String id, String task, long cost, long atSeconds) {
        return SpendEvent.newBuilder().setEventId(id).setAgentId(BOT.agentId()).setFleet(BOT.fleet()).setTaskId(task)
                .setKind(SpendKind.INFERENCE).setCostMicros(cost).setInputTokens(10).setOutputTokens(2)
                .setOccurredAt(Instant.ofEpochMilli(atSeconds * S)).build();
    }

    private TaskLedger.SpendEntry spend(String task, long cost, long atSeconds, long earliestOpenBucketSeconds) {
        SpendEvent e = spend("e-" + ++next, task, cost, atSeconds);
        return ledger.spend(BOT, open, e, atSeconds * S, earliestOpenBucketSeconds * S);
    }

    private TaskLedger.OutcomeEntry outcome(String task, OutcomeStatus status, int interventions, long atSeconds, long bucketSeconds) {
        OutcomeEvent e = OutcomeEvent.newBuilder().setEventId("o-" + ++next).setAgentId(BOT.agentId()).setFleet(BOT.fleet()).setTaskId(task)
                .setStatus(status).setHumanInterventions(interventions).setOccurredAt(Instant.ofEpochMilli(atSeconds * S)).build();
        return ledger.outcome(BOT, open, e, atSeconds * S, bucketSeconds * S);
    }

    @Test
    void spendNamingNoTaskIsUnattributed() {
        assertThat(spend(null, 100, 10, 0)).isEqualTo(TaskLedger.UNATTRIBUTED);
        assertThat(open.byId).isEmpty();
    }

    @Test
    void theFirstSpendOfATaskOpensItAndLaterSpendAccruesToIt() {
        TaskLedger.SpendEntry first = spend("t-1", 100, 10, 0);
        TaskLedger.SpendEntry second = spend("t-1", 250, 20, 0);
        assertThat(first).isInstanceOfSatisfying(TaskLedger.Attributed.class, a -> assertThat(a.opened()).isTrue());
        assertThat(second).isInstanceOfSatisfying(TaskLedger.Attributed.class, a -> assertThat(a.opened()).isFalse());
        TaskState task = open.get("t-1");
        assertThat(task.sums().get(Figure.SPEND)).isEqualTo(350);
        assertThat(task.sums().get(Figure.ACTIONS)).isEqualTo(2);
        assertThat(task.sums().get(Figure.INPUT_TOKENS)).isEqualTo(20);
        assertThat(task.lastActivity()).isEqualTo(20 * S);
    }

    @Test
    void aResendIsADuplicateWhateverTimeItCarries() {
        SpendEvent original = spend("e-x", "t-1", 100, 10);
        SpendEvent resent = spend("e-x", "t-1", 100, 95); // the gateway stamped a missing occurred_at on arrival
        assertThat(ledger.spend(BOT, open, original, 10 * S, 0)).isInstanceOf(TaskLedger.Attributed.class);
        assertThat(ledger.spend(BOT, open, resent, 95 * S, 0)).isEqualTo(TaskLedger.DUPLICATE);
        assertThat(open.get("t-1").sums().get(Figure.SPEND)).isEqualTo(100);
    }

    @Test
    void theSameIdFromTheSameAgentIdInAnotherFleetIsAnotherAgentsEvent() {
        SpendEvent ours = spend("e-x", "t-1", 100, 10);
        AgentKey other = new AgentKey("other-fleet", BOT.agentId());
        assertThat(ledger.spend(BOT, open, ours, 10 * S, 0)).isInstanceOf(TaskLedger.Attributed.class);
        assertThat(ledger.spend(other, new Tasks(), ours, 10 * S, 0)).isInstanceOf(TaskLedger.Attributed.class);
    }

    @Test
    void anOutcomeSettlesItsOpenTaskIntoTheBucketTheCallerNames() {
        spend("t-1", 100, 10, 0);
        TaskLedger.OutcomeEntry entry = outcome("t-1", OutcomeStatus.SUCCEEDED, 0, 30, 0);
        assertThat(entry).isInstanceOfSatisfying(TaskLedger.Settled.class, s -> {
            assertThat(s.task().sums().get(Figure.SPEND)).isEqualTo(100);
            assertThat(s.settlement()).isEqualTo(new Settlement(30 * S, 0, true));
        });
        assertThat(open.byId).isEmpty();
        assertThat(settledTasks.find(BOT, "t-1")).isEqualTo(new Settlement(30 * S, 0, true));
    }

    @Test
    void anOutcomeIsAutonomousOnlyWhenItSucceededWithNoHumanSteppingIn() {
        spend("t-1", 100, 10, 0);
        spend("t-2", 100, 10, 0);
        spend("t-3", 100, 10, 0);
        assertThat(((TaskLedger.Settled) outcome("t-1", OutcomeStatus.SUCCEEDED, 1, 30, 0)).settlement().autonomous()).isFalse();
        assertThat(((TaskLedger.Settled) outcome("t-2", OutcomeStatus.FAILED, 0, 30, 0)).settlement().autonomous()).isFalse();
        assertThat(((TaskLedger.Settled) outcome("t-3", OutcomeStatus.SUCCEEDED, 0, 30, 0)).settlement().autonomous()).isTrue();
    }

    @Test
    void anOutcomeForATaskWithNoSpendYetSettlesAnEmptyTask() {
        TaskLedger.OutcomeEntry entry = outcome("t-9", OutcomeStatus.SUCCEEDED, 0, 30, 0);
        assertThat(entry).isInstanceOfSatisfying(TaskLedger.Settled.class, s -> assertThat(s.task().sums().isEmpty()).isTrue());
    }

    @Test
    void aSecondOutcomeForASettledTaskIsIgnored() {
        spend("t-1", 100, 10, 0);
        outcome("t-1", OutcomeStatus.SUCCEEDED, 0, 30, 0);
        assertThat(outcome("t-1", OutcomeStatus.FAILED, 0, 40, 0)).isEqualTo(TaskLedger.SECOND_OUTCOME);
        assertThat(settledTasks.find(BOT, "t-1").autonomous()).as("the first outcome stands").isTrue();
    }

    @Test
    void spendStampedAtOrBeforeTheSettlementThatArrivesAfterTheOutcomeCountsToTheTaskWhileItsBucketIsOpen() {
        outcome("t-1", OutcomeStatus.SUCCEEDED, 0, 75, 60); // settled at 1m15s into bucket [1m, 2m)
        TaskLedger.SpendEntry atSettlement = spend("t-1", 100, 75, 60);
        TaskLedger.SpendEntry before = spend("t-1", 200, 50, 60); // its own bucket [0, 1m) may have closed: it still counts to the task
        assertThat(atSettlement).isEqualTo(new TaskLedger.AttributedToSettled(new Settlement(75 * S, 60 * S, true)));
        assertThat(before).isInstanceOf(TaskLedger.AttributedToSettled.class);
    }

    @Test
    void spendStampedAfterTheSettlementIsUnattributed() {
        outcome("t-1", OutcomeStatus.SUCCEEDED, 0, 75, 60);
        assertThat(spend("t-1", 100, 76, 60)).isEqualTo(TaskLedger.UNATTRIBUTED);
    }

    @Test
    void spendArrivingOnceTheSettlementsBucketHasClosedIsUnattributed() {
        outcome("t-1", OutcomeStatus.SUCCEEDED, 0, 75, 60);
        assertThat(spend("t-1", 100, 70, 120)).as("earliest open bucket now [2m, 3m)").isEqualTo(TaskLedger.UNATTRIBUTED);
    }

    @Test
    void aTaskTimesOutWhenTheBucketHoldingItsDeadlineClosesNotBefore() {
        spend("t-1", 100, 10, 0); // deadline 1h0m10s
        assertThat(ledger.expire(BOT, open, 3_540 * S, 3_600 * S)).as("bucket [59m, 1h)").isEmpty();
        assertThat(ledger.expire(BOT, open, 3_600 * S, 3_610 * S)).as("a bucket ending exactly at the deadline").isEmpty();
        List<TaskState> expired = ledger.expire(BOT, open, 3_600 * S, 3_660 * S);
        assertThat(expired).extracting(TaskState::taskId).containsExactly("t-1");
        assertThat(open.byId).isEmpty();
        assertThat(settledTasks.find(BOT, "t-1")).isEqualTo(new Settlement(3_610 * S, 3_600 * S, false));
    }

    @Test
    void anOutcomeThatArrivesBeforeTheTimeoutFiresSettlesTheTaskNormally() {
        spend("t-1", 100, 10, 0);
        TaskLedger.OutcomeEntry late = outcome("t-1", OutcomeStatus.SUCCEEDED, 0, 3_650, 3_600); // stamped after the deadline
        assertThat(late).isInstanceOf(TaskLedger.Settled.class);
        assertThat(ledger.expire(BOT, open, 3_600 * S, 3_660 * S)).isEmpty();
    }

    @Test
    void anOutcomeAfterTheTimeoutFiredIsASecondOutcome() {
        spend("t-1", 100, 10, 0);
        ledger.expire(BOT, open, 3_600 * S, 3_660 * S);
        assertThat(outcome("t-1", OutcomeStatus.SUCCEEDED, 0, 3_620, 3_660)).isEqualTo(TaskLedger.SECOND_OUTCOME);
    }
}
