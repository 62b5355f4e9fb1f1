package dev.asr.ingest.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import java.time.Clock;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FleetSimulatorTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private static CollectingSink run(long seed, int agents, int steps) {
        CollectingSink sink = new CollectingSink();
        new FleetSimulator(new FleetSettings(agents, 100, seed, "r1"), sink, Clock.systemUTC()).steps(steps, NOW);
        return sink;
    }

    @Test
    void theSameSeedReplaysTheSameEvents() {
        assertThat(run(42, 36, 5_000).events).isEqualTo(run(42, 36, 5_000).events);
        assertThat(run(42, 36, 500).events).isNotEqualTo(run(43, 36, 500).events);
    }

    @Test
    void dealsEveryKindToAFleetOfFiveOrMore() {
        FleetSimulator simulator = new FleetSimulator(new FleetSettings(36, 100, 1, "r1"), new CollectingSink(), Clock.systemUTC());
        assertThat(simulator.agentIds()).hasSize(36).doesNotHaveDuplicates()
                .contains("trading-bot-01", "knowledge-worker-01", "sre-agent-01", "research-scout-01", "compute-manager-07", "trading-bot-08");
    }

    @Test
    void eventIdsAreUniqueAndOutcomesSettleTasksThatSpent() {
        CollectingSink sink = run(7, 36, 50_000);
        Set<String> ids = new HashSet<>();
        sink.spend.forEach(e -> assertThat(ids.add(e.getEventId())).isTrue());
        sink.outcomes.forEach(e -> assertThat(ids.add(e.getEventId())).isTrue());
        Set<String> tasksWithSpend = new HashSet<>();
        sink.spend.stream().filter(e -> e.getTaskId() != null).forEach(e -> tasksWithSpend.add(e.getTaskId()));
        assertThat(sink.outcomes).allSatisfy(o -> assertThat(tasksWithSpend).contains(o.getTaskId()));
        assertThat(sink.spend).allSatisfy(e -> assertThat(e.getCostMicros()).isNotNegative());
        assertThat(sink.outcomes).extracting(OutcomeEvent::getStatus).contains(OutcomeStatus.values());
        // About 1% of tasks end without an outcome, for the topology's timeouts.
        Set<String> settled = new HashSet<>();
        sink.outcomes.forEach(o -> settled.add(o.getTaskId()));
        assertThat(tasksWithSpend.size() - settled.size()).isPositive();
    }

    /** Each kind lands where the ASR paper places it today, computed here as SPEC §1 defines ASR. */
    @Test
    void eachKindLandsInItsBand() {
        CollectingSink sink = run(11, 10, 400_000);
        Map<String, Long> taskSpend = new HashMap<>();
        Map<AgentKind, Long> spend = new EnumMap<>(AgentKind.class);
        Map<AgentKind, Long> autonomous = new EnumMap<>(AgentKind.class);
        Map<String, AgentKind> kindOf = new HashMap<>();
        for (SpendEvent e : sink.spend) {
            AgentKind kind = AgentKind.valueOf(e.getAttributes().get("agent_kind").toUpperCase().replace('-', '_'));
            kindOf.put(e.getAgentId(), kind);
            if (e.getTaskId() == null) {
                spend.merge(kind, e.getCostMicros(), Long::sum);
            } else {
                taskSpend.merge(e.getTaskId(), e.getCostMicros(), Long::sum);
            }
        }
        for (OutcomeEvent o : sink.outcomes) {
            AgentKind kind = kindOf.get(o.getAgentId());
            long cost = taskSpend.getOrDefault(o.getTaskId(), 0L);
            spend.merge(kind, cost, Long::sum);
            if (o.getStatus() == OutcomeStatus.SUCCEEDED && o.getHumanInterventions() == 0) {
                autonomous.merge(kind, cost, Long::sum);
            }
        }
        Map<AgentKind, Double> asr = new EnumMap<>(AgentKind.class);
        for (AgentKind kind : AgentKind.values()) {
            asr.put(kind, autonomous.getOrDefault(kind, 0L) / (double) spend.get(kind));
        }
        assertThat(asr.get(AgentKind.TRADING_BOT)).as("trading bots: self-directed (%s)", asr).isGreaterThanOrEqualTo(0.65);
        assertThat(asr.get(AgentKind.COMPUTE_MANAGER)).as("compute managers: self-directed (%s)", asr).isGreaterThanOrEqualTo(0.65);
        assertThat(asr.get(AgentKind.SRE_AGENT)).as("SRE agents: assisted (%s)", asr).isBetween(0.25, 0.55);
        assertThat(asr.get(AgentKind.KNOWLEDGE_WORKER)).as("knowledge workers: assisted (%s)", asr).isBetween(0.25, 0.55);
        assertThat(asr.get(AgentKind.RESEARCH_SCOUT)).as("research scouts: reactive (%s)", asr).isLessThan(0.15);
    }

    /** ASR (SPEC §1) of one agent over the tasks settled in [from, to). */
    private static double asr(CollectingSink sink, String agent, Instant from, Instant to) {
        Map<String, Long> taskSpend = new HashMap<>();
        long spend = 0;
        long autonomous = 0;
        for (SpendEvent e : sink.spend) {
            if (!e.getAgentId().equals(agent)) {
                continue;
            }
            if (e.getTaskId() != null) {
                taskSpend.merge(e.getTaskId(), e.getCostMicros(), Long::sum);
            } else if (!e.getOccurredAt().isBefore(from) && e.getOccurredAt().isBefore(to)) {
                spend += e.getCostMicros();
            }
        }
        for (OutcomeEvent o : sink.outcomes) {
            if (o.getAgentId().equals(agent) && !o.getOccurredAt().isBefore(from) && o.getOccurredAt().isBefore(to)) {
                long cost = taskSpend.getOrDefault(o.getTaskId(), 0L);
                spend += cost;
                if (o.getStatus() == OutcomeStatus.SUCCEEDED && o.getHumanInterventions() == 0) {
                    autonomous += cost;
                }
            }
        }
        return (double) autonomous / spend;
    }

    @Test
    void scriptedDriftsMoveAcrossTheBandsOverTheirPeriod() {
        CollectingSink sink = new CollectingSink();
        FleetSimulator simulator = new FleetSimulator(new FleetSettings(10, 100, 5, "r1", true, java.time.Duration.ofMinutes(30)), sink,
                Clock.systemUTC());
        assertThat(simulator.agentIds()).contains("drift-degrading-01", "drift-improving-01", "drift-hovering-01");
        for (int second = 0; second < 40 * 60; second++) {
            simulator.steps(60, NOW.plusSeconds(second));
        }
        Instant early = NOW.plusSeconds(5 * 60);
        Instant late = NOW.plusSeconds(32 * 60);
        Instant end = NOW.plusSeconds(40 * 60);
        assertThat(asr(sink, "drift-degrading-01", NOW, early)).as("degrading starts self-directed").isGreaterThanOrEqualTo(0.65);
        assertThat(asr(sink, "drift-degrading-01", late, end)).as("and ends reactive").isLessThan(0.2);
        assertThat(asr(sink, "drift-improving-01", NOW, early)).as("improving starts reactive").isLessThan(0.2);
        assertThat(asr(sink, "drift-improving-01", late, end)).as("and ends self-directed").isGreaterThanOrEqualTo(0.65);
        assertThat(asr(sink, "drift-hovering-01", NOW, end)).as("hovering stays at the boundary").isBetween(0.55, 0.65);
    }

    @Test
    void refusesSettingsThatMakeNoFleet() {
        assertThatThrownBy(() -> new FleetSettings(0, 10, 1, "r")).hasMessageContaining("--agents must be at least 1");
        assertThatThrownBy(() -> new FleetSettings(3, 0, 1, "r")).hasMessageContaining("--rate must be a positive number");
        assertThatThrownBy(() -> new FleetSettings(3, 10, 1, "has space")).hasMessageContaining("run id");
    }
}
