package dev.asr.exporter;

import dev.asr.schemas.SettingValues;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.rules.EventRules;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Every setting of the exporter, typed, with its default.
 *
 * @param host the address {@code /metrics}, {@code /healthz} and {@code /readyz} are served on
 *     ({@code asr.exporter.host}, 0.0.0.0: every interface)
 * @param port where they are served ({@code asr.exporter.port}, 9400; 0 any free port)
 * @param threads requests served at once, so slow clients cannot hold up scrapes ({@code
 *     asr.exporter.threads}, 8)
 * @param agentTtl an agent not heard from this long leaves {@code /metrics} ({@code
 *     asr.exporter.agent-ttl}, 15m); on start the exporter also re-reads this much of the metrics
 *     topic to rebuild its state
 * @param perAgent per-agent series on or off; off leaves fleet and exporter series ({@code
 *     asr.exporter.per-agent}, true)
 * @param maxAgents at most this many agents get series, the most recently heard first ({@code
 *     asr.exporter.max-agents}, 10000)
 * @param bandView the window whose rows carry the band ({@code asr.band.view}, 1h)
 * @param counterView the window whose rows feed the {@code _total} counters: each row is one bucket
 *     ({@code asr.exporter.counter-view}, 1m)
 * @param currency the deployment's currency ({@code asr.currency}, USD); names the money unit
 * @param agentWindows the windows that get per-agent ratio gauges ({@code asr.exporter.agent-windows},
 *     1h): each one adds six series per agent; other ranges come from the counters in PromQL
 */
public record ExporterSettings(TopicNames topics, String host, int port, int threads, Duration agentTtl, boolean perAgent, int maxAgents, String bandView,
        String counterView, String currency, List<String> agentWindows) {

    public ExporterSettings {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("asr.exporter.port=" + port + " is not a TCP port (0 picks a free one)");
        }
        if (agentTtl.isNegative() || agentTtl.isZero()) {
            throw new IllegalArgumentException("asr.exporter.agent-ttl must be positive");
        }
        agentWindows = List.copyOf(agentWindows);
        if (agentWindows.isEmpty()) {
            throw new IllegalArgumentException("asr.exporter.agent-windows is empty: name at least one window, e.g. 1h");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("asr.exporter.threads must be at least 1, got " + threads);
        }
        if (maxAgents < 1) {
            throw new IllegalArgumentException("asr.exporter.max-agents must be at least 1, got " + maxAgents);
        }
    }

    public static ExporterSettings from(Map<String, String> s) {
        String perAgent = s.getOrDefault("asr.exporter.per-agent", "true").trim();
        if (!perAgent.equals("true") && !perAgent.equals("false")) {
            throw new IllegalArgumentException("asr.exporter.per-agent='" + perAgent + "' must be true or false");
        }
        return new ExporterSettings(
                TopicNames.from(s),
                s.getOrDefault("asr.exporter.host", "0.0.0.0").trim(),
                SettingValues.integer(s, "asr.exporter.port", 9400),
                SettingValues.integer(s, "asr.exporter.threads", 8),
                SettingValues.duration(s, "asr.exporter.agent-ttl", "15m"),
                Boolean.parseBoolean(perAgent),
                SettingValues.integer(s, "asr.exporter.max-agents", 10_000),
                s.getOrDefault("asr.band.view", "1h").trim(),
                s.getOrDefault("asr.exporter.counter-view", "1m").trim(),
                EventRules.from(s).currency(),
                Arrays.stream(s.getOrDefault("asr.exporter.agent-windows", "1h").split(",")).map(String::trim)
                        .filter(w -> !w.isEmpty()).toList());
    }

    /** The money unit in metric names: dollars for USD, euros for EUR..., else the code in lower case. */
    public String moneyUnit() {
        return EventRules.moneyUnit(currency);
    }
}
