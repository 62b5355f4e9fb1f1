package dev.asr.allowances.decision;

/**
 * May this agent spend this much now? {@code authorizationId} makes a retry return the first answer;
 * {@code taskId} and {@code kind} travel with the decision for the record.
 */
public record AuthorizationRequest(String authorizationId, String fleet, String agentId, long amountMicros, String kind, String taskId) {}
