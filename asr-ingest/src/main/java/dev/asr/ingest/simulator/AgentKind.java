package dev.asr.ingest.simulator;

import java.util.List;

/**
 * The agent categories of the ASR paper, each with the cost mix, success rate, value and
 * human-intervention profile that puts it where the paper places it today: trading bots and
 * compute managers mostly self-directed, SRE agents and knowledge workers assisted, research scouts
 * mostly reactive.
 *
 * <p>Money is in micros (millionths of the currency unit). A human intervention costs about what
 * a whole task costs the agent: a quick review or approval, not an hour of someone's day.
 */
public enum AgentKind {
    TRADING_BOT("trading", 3, 6, 0.45, 0.25, 0.30, 1_500, 200, List.of("market-data", "order-book", "risk-check"),
            List.of(Model.SMALL, Model.MEDIUM), 0.92, 0.04, 6_000_000, 0.05, 400_000, 100_000),
    KNOWLEDGE_WORKER("knowledge", 4, 10, 0.70, 0.30, 0.0, 6_000, 1_200, List.of("web-search", "docs-read", "slides"),
            List.of(Model.LARGE, Model.MEDIUM), 0.78, 0.45, 25_000_000, 0.08, 0, 60_000),
    SRE_AGENT("infra", 3, 8, 0.55, 0.45, 0.0, 4_000, 600, List.of("kubectl", "prometheus-query", "log-search", "runbook"),
            List.of(Model.MEDIUM, Model.LARGE), 0.80, 0.35, 40_000_000, 0.15, 0, 30_000),
    RESEARCH_SCOUT("research", 6, 14, 0.75, 0.25, 0.0, 10_000, 2_000, List.of("arxiv-search", "web-fetch", "code-run"),
            List.of(Model.LARGE), 0.45, 0.60, 18_000_000, 0.10, 0, 300_000),
    COMPUTE_MANAGER("compute", 2, 5, 0.40, 0.50, 0.10, 1_200, 150, List.of("cloud-api", "scheduler", "cost-explorer"),
            List.of(Model.SMALL), 0.90, 0.12, 8_000_000, 0.12, 50_000, 15_000);

    /** Models with their list prices in micros per million tokens. */
    public enum Model {
        SMALL("llama-3.1-8b", 200_000, 200_000),
        MEDIUM("gpt-4.1-mini", 400_000, 1_600_000),
        LARGE("claude-sonnet-4", 3_000_000, 15_000_000);

        final String id;
        final long inputMicrosPerMillion;
        final long outputMicrosPerMillion;

        Model(String id, long inputMicrosPerMillion, long outputMicrosPerMillion) {
            this.id = id;
            this.inputMicrosPerMillion = inputMicrosPerMillion;
            this.outputMicrosPerMillion = outputMicrosPerMillion;
        }

        long costMicros(long inputTokens, long outputTokens) {
            return (inputTokens * inputMicrosPerMillion + outputTokens * outputMicrosPerMillion) / 1_000_000;
        }
    }

    final String fleet;
    final int minSteps;
    final int maxSteps;
    final double inferenceShare;
    final double toolShare;
    final double transactionShare;
    final int inputTokens;
    final int outputTokens;
    final List<String> tools;
    final List<Model> models;
    final double successRate;
    final double humanRate;
    final long meanValueMicros;
    final double idleRate;
    final long transactionCostMicros;
    final long humanCostMicros;

    AgentKind(String fleet, int minSteps, int maxSteps, double inferenceShare, double toolShare, double transactionShare,
            int inputTokens, int outputTokens, List<String> tools, List<Model> models, double successRate, double humanRate,
            long meanValueMicros, double idleRate, long transactionCostMicros, long humanCostMicros) {
        this.fleet = fleet;
        this.minSteps = minSteps;
        this.maxSteps = maxSteps;
        this.inferenceShare = inferenceShare;
        this.toolShare = toolShare;
        this.transactionShare = transactionShare;
        this.inputTokens = inputTokens;
        this.outputTokens = outputTokens;
        this.tools = tools;
        this.models = models;
        this.successRate = successRate;
        this.humanRate = humanRate;
        this.meanValueMicros = meanValueMicros;
        this.idleRate = idleRate;
        this.transactionCostMicros = transactionCostMicros;
        this.humanCostMicros = humanCostMicros;
    }

    /** The fleet agents of this kind report under. */
    public String fleet() {
        return fleet;
    }

    /** The lower-case name used in agent ids, e.g. {@code trading-bot}. */
    public String slug() {
        return name().toLowerCase().replace('_', '-');
    }
}
