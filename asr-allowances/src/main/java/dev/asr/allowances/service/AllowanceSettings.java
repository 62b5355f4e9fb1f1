package dev.asr.allowances.service;

import dev.asr.allowances.policy.AllowancePolicy;
import dev.asr.schemas.Durations;
import dev.asr.schemas.SettingValues;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How the allowance service runs.
 *
 * @param policy the band allowances ({@code asr.allowance.*}, see {@link AllowancePolicy})
 * @param holdTime how long an ALLOW holds its amount unless spent first ({@code asr.allowance.hold-time}, 5m)
 * @param decisionsTopic where every decision goes before it is answered ({@code asr.topic.decisions}, {@value #DECISIONS})
 * @param eventsTopic tier changes, thresholds crossed, exhaustion ({@code asr.topic.allowance-events}, {@value #EVENTS})
 */
public record AllowanceSettings(AllowancePolicy policy, Duration holdTime, String decisionsTopic, String eventsTopic) {

    public static final String DECISIONS = "asr.decisions.v1";
    public static final String EVENTS = "asr.allowance-events.v1";
    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public AllowanceSettings {
        if (holdTime.isZero() || holdTime.isNegative()) {
            throw new IllegalArgumentException("asr.allowance.hold-time=" + Durations.format(holdTime) + " must be positive");
        }
        if (!LEGAL.matcher(decisionsTopic).matches()) {
            throw new IllegalArgumentException("asr.topic.decisions='" + decisionsTopic + "' is not a valid Kafka topic name");
        }
        if (!LEGAL.matcher(eventsTopic).matches()) {
            throw new IllegalArgumentException("asr.topic.allowance-events='" + eventsTopic + "' is not a valid Kafka topic name");
        }
    }

    public static AllowanceSettings from(Map<String, String> settings) {
        Map<String, String> policyKeys = new java.util.HashMap<>(settings);
        policyKeys.remove("asr.allowance.hold-time");
        return new AllowanceSettings(AllowancePolicy.from(policyKeys), SettingValues.duration(settings, "asr.allowance.hold-time", "5m"),
                settings.getOrDefault("asr.topic.decisions", DECISIONS).trim(),
                settings.getOrDefault("asr.topic.allowance-events", EVENTS).trim());
    }
}
