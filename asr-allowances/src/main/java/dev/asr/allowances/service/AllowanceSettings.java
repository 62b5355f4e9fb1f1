package dev.asr.allowances.service;

import dev.asr.allowances.policy.AllowancePolicy;
import dev.asr.allowances.policy.PolicyFile;
import dev.asr.schemas.Durations;
import dev.asr.schemas.SettingValues;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How the allowance service runs.
 *
 * @param policy the band allowances ({@code asr.allowance.*}, see {@link AllowancePolicy})
 * @param holdTime how long an ALLOW holds its amount unless spent first ({@code asr.allowance.hold-time}, 5m)
 * @param decisionsTopic where every decision goes before it is answered ({@code asr.topic.decisions}, {@value #DECISIONS})
 * @param eventsTopic tier changes, thresholds crossed, exhaustion ({@code asr.topic.allowance-events}, {@value #EVENTS})
 * @param policyFile a properties file of {@code asr.allowance.*} keys over the settings', read again when it changes
 *     ({@code asr.allowance.policy-file}, none by default)
 * @param policySettings the settings' own {@code asr.allowance.*} keys, under the file's
 * @param metricsMaxAgents agents with per-agent allowance series on {@code /metrics}, the most recently active
 *     ({@code asr.allowance.metrics-max-agents}, 10000)
 * @param maxRemembered decisions kept for retries with their authorization_id (within an hour), the most recent
 *     ({@code asr.allowance.max-remembered}, 200000: about 40 MB, the ids included)
 * @param advertisedUrl how the other deciding gateways reach this one ({@code asr.allowance.advertised-url}, e.g.
 *     {@code http://gateway-1:8080}); set, several gateways decide, each for the agents of the decisions partitions the
 *     group gave it, and forward the others' requests. Unset (the default), this gateway decides for every agent: run one
 * @param group the deciding gateways' consumer group ({@code asr.allowance.group}, {@value #GROUP})
 * @param sessionTimeout how long a deciding gateway that stopped answering keeps its partitions ({@code
 *     asr.allowance.session-timeout}, 10s)
 */
public record AllowanceSettings(AllowancePolicy policy, Duration holdTime, String decisionsTopic, String eventsTopic, Path policyFile,
        Map<String, String> policySettings, int metricsMaxAgents, int maxRemembered, String advertisedUrl, String group,
        Duration sessionTimeout) {

    public static final String DECISIONS = "asr.decisions.v1";
    public static final String EVENTS = "asr.allowance-events.v1";
    public static final String GROUP = "asr-allowances";
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public AllowanceSettings {
        if (holdTime.isZero() || holdTime.isNegative()) {
            throw new IllegalArgumentException("asr.allowance.hold-time=" + Durations.format(holdTime) + " must be positive");
        }
        if (maxRemembered < 0) {
            throw new IllegalArgumentException("asr.allowance.max-remembered=" + maxRemembered + " must not be negative");
        }
        if (metricsMaxAgents < 0) {
            throw new IllegalArgumentException("asr.allowance.metrics-max-agents=" + metricsMaxAgents + " must not be negative");
        }
        if (!LEGAL.matcher(decisionsTopic).matches()) {
            throw new IllegalArgumentException("asr.topic.decisions='" + decisionsTopic + "' is not a valid Kafka topic name");
        }
        if (!LEGAL.matcher(eventsTopic).matches()) {
            throw new IllegalArgumentException("asr.topic.allowance-events='" + eventsTopic + "' is not a valid Kafka topic name");
        }
        if (advertisedUrl != null && !advertisedUrl.matches("https?://[^/\\s]+")) {
            throw new IllegalArgumentException("asr.allowance.advertised-url='" + advertisedUrl + "' must be the URL other gateways reach"
                    + " this one at, scheme, host and port only, e.g. http://gateway-1:8080");
        }
        if (!LEGAL.matcher(group).matches()) {
            throw new IllegalArgumentException("asr.allowance.group='" + group + "' must be 1 to 249 of a-z A-Z 0-9 . _ -");
        }
        if (sessionTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("asr.allowance.session-timeout=" + Durations.format(sessionTimeout)
                    + " must be at least 1s");
        }
    }

    public static AllowanceSettings from(Map<String, String> settings) {
        Map<String, String> policyKeys = new HashMap<>(settings);
        policyKeys.remove("asr.allowance.hold-time");
        policyKeys.remove("asr.topic.decisions");
        policyKeys.remove("asr.topic.allowance-events");
        String file = policyKeys.remove("asr.allowance.policy-file");
        policyKeys.remove("asr.allowance.metrics-max-agents");
        policyKeys.remove("asr.allowance.max-remembered");
        String advertised = policyKeys.remove("asr.allowance.advertised-url");
        policyKeys.remove("asr.allowance.group");
        policyKeys.remove("asr.allowance.session-timeout");
        Path policyFile = file == null || file.isBlank() ? null : Path.of(file.trim());
        AllowancePolicy policy = policyFile == null ? AllowancePolicy.from(policyKeys) : PolicyFile.read(policyFile, policyKeys);
        return new AllowanceSettings(policy, SettingValues.duration(settings, "asr.allowance.hold-time", "5m"),
                settings.getOrDefault("asr.topic.decisions", DECISIONS).trim(),
                settings.getOrDefault("asr.topic.allowance-events", EVENTS).trim(), policyFile, Map.copyOf(policyKeys),
                SettingValues.integer(settings, "asr.allowance.metrics-max-agents", 10_000),
                SettingValues.integer(settings, "asr.allowance.max-remembered", 200_000),
                advertised == null || advertised.isBlank() ? null : advertised.trim().replaceAll("/+$", ""),
                settings.getOrDefault("asr.allowance.group", GROUP).trim(),
                SettingValues.duration(settings, "asr.allowance.session-timeout", "10s"));
    }

    /** Whether several gateways decide, each for its share of the agents. */
    public boolean shared() {
        return advertisedUrl != null;
    }

    /** The same, deciding by {@code next}. */
    public AllowanceSettings with(AllowancePolicy next) {
        return new AllowanceSettings(next, holdTime, decisionsTopic, eventsTopic, policyFile, policySettings, metricsMaxAgents, maxRemembered,
                advertisedUrl, group, sessionTimeout);
    }
}
