package dev.asr.allowances.metrics;

import dev.asr.allowances.decision.Decision;
import dev.asr.allowances.decision.Reason;
import dev.asr.allowances.ledger.CashView;
import dev.asr.allowances.ledger.SpendRate;
import dev.asr.allowances.policy.AllowancePolicy;
import dev.asr.allowances.service.AgentStatus;
import dev.asr.allowances.service.AllowanceService;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.List;

/**
 * The allowances' series (SPEC §9), built at every scrape from the deciding service's state. Per
 * agent ({@code fleet}, {@code agent}): limit, spent, held, remaining, the budget rate (limit over
 * the period's length: the pace that spends exactly the limit), the burn rate per window and the
 * seconds to exhaustion; for the {@code max} most recently active agents only, the others counted
 * in {@code asr_allowance_agents_dropped}. Decisions by decision and reason, both closed sets.
 * Money is in the deployment's currency unit ({@code dollars} for USD), as the exporter's series.
 */
public final class AllowanceCollector implements MultiCollector {

    private static final double MICROS = 1_000_000.0;

    private final AllowanceService service;
    private final int max;
    private final String limit;
    private final String spent;
    private final String held;
    private final String remaining;
    private final String budget;
    private final String burn;

    public AllowanceCollector(AllowanceService service, String moneyUnit, int max) {
        this.service = service;
        this.max = max;
        this.limit = "asr_allowance_limit_" + moneyUnit;
        this.spent = "asr_allowance_spent_" + moneyUnit;
        this.held = "asr_allowance_held_" + moneyUnit;
        this.remaining = "asr_allowance_remaining_" + moneyUnit;
        this.budget = "asr_allowance_budget_rate_" + moneyUnit + "_per_second";
        this.burn = "asr_allowance_burn_rate_" + moneyUnit + "_per_second";
    }

    @Override
    public MetricSnapshots collect() {
        List<AgentStatus> statuses = service.statuses(max);
        GaugeSnapshot.Builder limits = GaugeSnapshot.builder().name(limit).help("The agent's limit for its period, by its band");
        GaugeSnapshot.Builder spends = GaugeSnapshot.builder().name(spent).help("Spent in the current period (event time, every kind)");
        GaugeSnapshot.Builder holds = GaugeSnapshot.builder().name(held).help("Held by open ALLOW decisions not yet spent or expired");
        GaugeSnapshot.Builder left = GaugeSnapshot.builder().name(remaining).help("Limit - spent - held, never below 0");
        GaugeSnapshot.Builder budgets = GaugeSnapshot.builder().name(budget)
                .help("Limit / the period's length: the pace that spends exactly the limit in a period (burn-rate alerts compare with it)");
        GaugeSnapshot.Builder burns = GaugeSnapshot.builder().name(burn).help("Spend per second over the window (5m, 30m, 1h, 6h)");
        GaugeSnapshot.Builder exhaustion = GaugeSnapshot.builder().name("asr_allowance_exhaustion_seconds")
                .help("Seconds until the remaining amount is spent at the faster of the 5m and 1h burn rates (+Inf: not spending)");
        GaugeSnapshot.Builder exhausted = GaugeSnapshot.builder().name("asr_allowance_exhausted")
                .help("1 while nothing remains of the agent's limit this period");
        for (AgentStatus status : statuses) {
            CashView cash = status.cash();
            Labels agent = Labels.of("agent", status.agentId(), "fleet", status.fleet());
            limits.dataPoint(point(agent.add("band", band(status)), cash.limitMicros() / MICROS));
            spends.dataPoint(point(agent, cash.spentMicros() / MICROS));
            holds.dataPoint(point(agent, cash.heldMicros() / MICROS));
            left.dataPoint(point(agent, cash.remainingMicros() / MICROS));
            double seconds = Duration.between(cash.periodStart(), cash.periodEnd()).toSeconds();
            budgets.dataPoint(point(agent, cash.limitMicros() / MICROS / seconds));
            for (int i = 0; i < SpendRate.WINDOWS.length; i++) {
                burns.dataPoint(point(agent.add("window", window(SpendRate.WINDOWS[i])), status.burnMicrosPerSecond()[i] / MICROS));
            }
            exhaustion.dataPoint(point(agent, status.secondsToExhaustion()));
            exhausted.dataPoint(point(agent, cash.exhausted() ? 1 : 0));
        }
        CounterSnapshot.Builder decisions = CounterSnapshot.builder().name("asr_allowance_decisions")
                .help("Authorization decisions answered by this process, by decision and reason");
        for (Decision decision : Decision.values()) {
            for (Reason reason : Reason.values()) {
                long count = service.decisionCount(decision, reason);
                if (count > 0) {
                    decisions.dataPoint(CounterDataPointSnapshot.builder().value(count)
                            .labels(Labels.of("decision", decision.name(), "reason", reason.code())).build());
                }
            }
        }
        int known = service.agentCount();
        return MetricSnapshots.builder().metricSnapshot(limits.build()).metricSnapshot(spends.build()).metricSnapshot(holds.build())
                .metricSnapshot(left.build()).metricSnapshot(budgets.build()).metricSnapshot(burns.build())
                .metricSnapshot(exhaustion.build()).metricSnapshot(exhausted.build()).metricSnapshot(decisions.build())
                .metricSnapshot(gauge("asr_allowance_ready", "1 while the allowances decide, 0 while restoring or failed (see /readyz)",
                        service.ready() ? 1 : 0))
                .metricSnapshot(gauge("asr_allowance_agents", "Agents the allowance service knows", known))
                .metricSnapshot(gauge("asr_allowance_decided_partitions", "Partitions of the decisions topic this gateway decides for,"
                        + " with several deciding gateways (their sum is the topic's partition count once settled); 0 with one",
                        service.decidedPartitions().size()))
                .metricSnapshot(gauge("asr_allowance_agents_dropped",
                        "Agents left out of the per-agent allowance series by asr.allowance.metrics-max-agents (the least recently active)",
                        Math.max(0, known - max)))
                .build();
    }

    private static String band(AgentStatus status) {
        return AllowancePolicy.name(status.cash().band()).replace('-', '_');
    }

    /** A window's label: 5m, 30m, 1h, 6h. */
    static String window(Duration window) {
        return window.toMinutes() % 60 == 0 ? window.toHours() + "h" : window.toMinutes() + "m";
    }

    private static GaugeDataPointSnapshot point(Labels labels, double value) {
        return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
    }

    private static GaugeSnapshot gauge(String name, String help, double value) {
        return GaugeSnapshot.builder().name(name).help(help).dataPoint(GaugeDataPointSnapshot.builder().value(value).build()).build();
    }

    @Override
    public List<String> getPrometheusNames() {
        return List.of(limit, spent, held, remaining, budget, burn, "asr_allowance_exhaustion_seconds", "asr_allowance_exhausted",
                "asr_allowance_decisions", "asr_allowance_ready", "asr_allowance_agents", "asr_allowance_decided_partitions",
                "asr_allowance_agents_dropped");
    }
}
