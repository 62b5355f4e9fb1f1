package dev.asr.ingest.simulator;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.random.RandomGenerator;

/**
 * One agent of a {@link AgentKind}: works one task at a time, a spend event per step (inference,
 * tool calls, transactions, human time when a human has to step in), then reports the outcome;
 * between tasks it now and then spends on idle polling or overhead. Now and then a task is dropped
 * without an outcome, as a crashed runtime would, so that the topology's timeouts have work.
 */
final class SimulatedAgent {

    /** Chance that a task ends with no outcome event at all. */
    static final double SILENT_DROP_RATE = 0.01;
    /** Chance that a failed task is reported ABANDONED rather than FAILED. */
    static final double ABANDON_SHARE = 0.25;

    private final String agentId;
    private final AgentKind kind;
    private final String runId;
    private final RandomGenerator random;
    private final Drift drift;
    private final Duration driftPeriod;
    private Instant firstStep;
    private long eventSeq;
    private long taskSeq;
    private String taskId;
    private int stepsLeft;
    private int humanStepAt;
    private int interventions;
    private int step;

    SimulatedAgent(String agentId, AgentKind kind, String runId, RandomGenerator random) {
        this(agentId, kind, runId, random, Drift.NONE, Duration.ofMinutes(20));
    }

    SimulatedAgent(String agentId, AgentKind kind, String runId, RandomGenerator random, Drift drift, Duration driftPeriod) {
        this.agentId = agentId;
        this.kind = kind;
        this.runId = runId;
        this.random = random;
        this.drift = drift;
        this.driftPeriod = driftPeriod;
    }

    String agentId() {
        return agentId;
    }

    AgentKind kind() {
        return kind;
    }

    /** Takes one step: emits exactly one event into {@code sink}, or none when a task is dropped silently. */
    void step(Instant now, EventSink sink) {
        if (firstStep == null) {
            firstStep = now;
        }
        Duration elapsed = Duration.between(firstStep, now);
        if (taskId == null) {
            if (random.nextDouble() < kind.idleRate) {
                sink.spend(spend(now, null, random.nextBoolean() ? SpendKind.IDLE : SpendKind.OVERHEAD,
                        idleCost(), 0, 0, null, null));
                return;
            }
            openTask(drift.humanRate(kind.humanRate, elapsed, driftPeriod));
        }
        if (stepsLeft > 0) {
            sink.spend(stepSpend(now));
            stepsLeft--;
            step++;
            return;
        }
        String settled = taskId;
        taskId = null;
        if (random.nextDouble() < SILENT_DROP_RATE) {
            return;
        }
        boolean succeeded = random.nextDouble() < drift.successRate(kind.successRate, elapsed, driftPeriod);
        OutcomeStatus status = succeeded ? OutcomeStatus.SUCCEEDED
                : random.nextDouble() < ABANDON_SHARE ? OutcomeStatus.ABANDONED : OutcomeStatus.FAILED;
        long value = succeeded ? Math.max(0, Math.round(kind.meanValueMicros * (0.5 + random.nextDouble()))) : 0;
        sink.outcome(OutcomeEvent.newBuilder()
                .setEventId(nextEventId())
                .setAgentId(agentId)
                .setFleet(kind.fleet)
                .setTaskId(settled)
                .setStatus(status)
                .setValueMicros(value)
                .setHumanInterventions(interventions)
                .setOccurredAt(now)
                .setAttributes(Map.of("agent_kind", kind.slug()))
                .build());
    }

    private void openTask(double humanRate) {
        taskId = agentId + "-" + runId + "-t" + (++taskSeq);
        stepsLeft = kind.minSteps + random.nextInt(kind.maxSteps - kind.minSteps + 1);
        boolean needsHuman = kind.humanCostMicros > 0 && random.nextDouble() < humanRate;
        interventions = needsHuman ? 1 : 0;
        humanStepAt = needsHuman ? random.nextInt(stepsLeft) : -1;
        step = 0;
    }

    private SpendEvent stepSpend(Instant now) {
        if (step == humanStepAt) {
            long cost = Math.round(kind.humanCostMicros * (0.5 + random.nextDouble()));
            return spend(now, taskId, SpendKind.HUMAN, cost, 0, 0, null, null);
        }
        double pick = random.nextDouble() * (kind.inferenceShare + kind.toolShare + kind.transactionShare);
        if (pick < kind.inferenceShare) {
            AgentKind.Model model = kind.models.get(random.nextInt(kind.models.size()));
            long in = Math.round(kind.inputTokens * (0.5 + random.nextDouble()));
            long out = Math.round(kind.outputTokens * (0.5 + random.nextDouble()));
            return spend(now, taskId, SpendKind.INFERENCE, model.costMicros(in, out), in, out, model.id, null);
        }
        if (pick < kind.inferenceShare + kind.toolShare) {
            String tool = kind.tools.get(random.nextInt(kind.tools.size()));
            return spend(now, taskId, SpendKind.TOOL_CALL, 500 + random.nextInt(5_000), 0, 0, null, tool);
        }
        long cost = Math.round(kind.transactionCostMicros * (0.5 + random.nextDouble()));
        return spend(now, taskId, SpendKind.TRANSACTION, cost, 0, 0, null, null);
    }

    private long idleCost() {
        return 200 + random.nextInt(2_000);
    }

    private SpendEvent spend(Instant now, String task, SpendKind spendKind, long cost, long in, long out, String model, String tool) {
        return SpendEvent.newBuilder()
                .setEventId(nextEventId())
                .setAgentId(agentId)
                .setFleet(kind.fleet)
                .setTaskId(task)
                .setKind(spendKind)
                .setCostMicros(cost)
                .setInputTokens(in)
                .setOutputTokens(out)
                .setModel(model)
                .setTool(tool)
                .setOccurredAt(now)
                .setAttributes(Map.of("agent_kind", kind.slug()))
                .build();
    }

    private String nextEventId() {
        return agentId + "-" + runId + "-e" + (++eventSeq);
    }
}
