package dev.asr.schemas;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The names of the ASR topics, configurable per deployment (keys {@code asr.topic.*}).
 *
 * @param spend SpendEvents in ({@value #SPEND})
 * @param outcomes OutcomeEvents in ({@value #OUTCOMES})
 * @param agentMetrics AgentWindowMetrics out ({@value #AGENT_METRICS})
 * @param bandTransitions BandTransitions out ({@value #BAND_TRANSITIONS})
 * @param deadLetters records that could not be decoded or failed validation ({@value #DEAD_LETTERS})
 */
public record TopicNames(String spend, String outcomes, String agentMetrics, String bandTransitions, String deadLetters) {

    public static final String SPEND = "asr.spend.v1";
    public static final String OUTCOMES = "asr.outcomes.v1";
    public static final String AGENT_METRICS = "asr.agent-metrics.v1";
    public static final String BAND_TRANSITIONS = "asr.band-transitions.v1";
    public static final String DEAD_LETTERS = "asr.dlq.v1";

    private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    public static final TopicNames DEFAULTS = new TopicNames(SPEND, OUTCOMES, AGENT_METRICS, BAND_TRANSITIONS, DEAD_LETTERS);

    public TopicNames {
        validate("asr.topic.spend", spend);
        validate("asr.topic.outcomes", outcomes);
        validate("asr.topic.agent-metrics", agentMetrics);
        validate("asr.topic.band-transitions", bandTransitions);
        validate("asr.topic.dlq", deadLetters);
    }

    /** The names under {@code asr.topic.*} in {@code settings}, defaults for the rest. */
    public static TopicNames from(Map<String, String> settings) {
        return new TopicNames(
                settings.getOrDefault("asr.topic.spend", SPEND),
                settings.getOrDefault("asr.topic.outcomes", OUTCOMES),
                settings.getOrDefault("asr.topic.agent-metrics", AGENT_METRICS),
                settings.getOrDefault("asr.topic.band-transitions", BAND_TRANSITIONS),
                settings.getOrDefault("asr.topic.dlq", DEAD_LETTERS));
    }

    /** Refuses a name Kafka would not take, naming the setting. */
    public static void validate(String key, String name) {
        if (name == null || !LEGAL.matcher(name).matches() || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException(key + "='" + name + "' is not a valid Kafka topic name."
                    + " Use letters, digits, '.', '_' and '-', at most 249 characters");
        }
    }
}
