package dev.asr.streams.validation;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import java.time.Duration;

/**
 * SPEC §6's rules for a decoded event. Returns what is wrong, naming the field and the rule, or
 * null when the event is good. {@code now} is passed in: wall-clock time for the future-timestamp
 * rule.
 */
public final class EventValidator {

    private final String currency;
    private final long maxClockSkewMillis;

    public EventValidator(String currency, Duration maxClockSkew) {
        this.currency = currency;
        this.maxClockSkewMillis = maxClockSkew.toMillis();
    }

    /** A rejection with the message that goes in the dead letter's {@code asr.dlq.error} header. */
    public record Problem(Rejection rejection, String message) {}

    public Problem check(String key, SpendEvent e, long now) {
        Problem common = common(key, e.getEventId(), e.getAgentId(), e.getFleet(), e.getOccurredAt().toEpochMilli(), now);
        if (common != null) {
            return common;
        }
        if (e.getTaskId() != null && e.getTaskId().isBlank()) {
            return new Problem(Rejection.MISSING_FIELD, "task_id is blank: leave it null for spend that serves no task");
        }
        if (e.getCostMicros() < 0) {
            return new Problem(Rejection.NEGATIVE_AMOUNT, "cost_micros is " + e.getCostMicros() + "; it must be >= 0");
        }
        if (e.getInputTokens() < 0 || e.getOutputTokens() < 0) {
            return new Problem(Rejection.NEGATIVE_AMOUNT, "input_tokens (" + e.getInputTokens() + ") and output_tokens ("
                    + e.getOutputTokens() + ") must be >= 0");
        }
        if (!currency.equals(e.getCurrency())) {
            return new Problem(Rejection.CURRENCY_MISMATCH, "currency is '" + e.getCurrency() + "' but this deployment counts in "
                    + currency + " (asr.currency): convert before reporting");
        }
        return null;
    }

    public Problem check(String key, OutcomeEvent e, long now) {
        Problem common = common(key, e.getEventId(), e.getAgentId(), e.getFleet(), e.getOccurredAt().toEpochMilli(), now);
        if (common != null) {
            return common;
        }
        if (e.getTaskId() == null || e.getTaskId().isBlank()) {
            return new Problem(Rejection.MISSING_FIELD, "task_id is blank: an outcome must name the task it settles");
        }
        if (e.getValueMicros() < 0) {
            return new Problem(Rejection.NEGATIVE_AMOUNT, "value_micros is " + e.getValueMicros() + "; it must be >= 0");
        }
        if (e.getHumanInterventions() < 0) {
            return new Problem(Rejection.NEGATIVE_AMOUNT, "human_interventions is " + e.getHumanInterventions() + "; it must be >= 0");
        }
        return null;
    }

    private Problem common(String key, String eventId, String agentId, String fleet, long occurredAt, long now) {
        if (eventId == null || eventId.isBlank()) {
            return new Problem(Rejection.MISSING_FIELD, "event_id is blank: every event needs a unique id");
        }
        if (agentId == null || agentId.isBlank()) {
            return new Problem(Rejection.MISSING_FIELD, "agent_id is blank");
        }
        if (fleet == null || fleet.isBlank()) {
            return new Problem(Rejection.MISSING_FIELD, "fleet is blank");
        }
        if (!agentId.equals(key)) {
            return new Problem(Rejection.KEY_MISMATCH, "record key is " + (key == null ? "null" : "'" + key + "'")
                    + " but agent_id is '" + agentId + "': key every record by its agent_id, so an agent's spend and outcomes"
                    + " share a partition");
        }
        if (occurredAt > now + maxClockSkewMillis) {
            return new Problem(Rejection.FUTURE_TIMESTAMP, "occurred_at is " + java.time.Instant.ofEpochMilli(occurredAt) + ", more than "
                    + Duration.ofMillis(maxClockSkewMillis) + " (asr.max-clock-skew) ahead of this clock: check the agent host's clock");
        }
        return null;
    }
}
