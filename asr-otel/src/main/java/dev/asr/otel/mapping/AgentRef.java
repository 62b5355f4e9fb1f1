package dev.asr.otel.mapping;

/**
 * The agent a span works for, and the task it serves: an {@code invoke_agent} span's own, or one
 * inherited from the nearest such span above it.
 *
 * @param agentId {@code gen_ai.agent.id}, else {@code gen_ai.agent.name}
 * @param taskId the agent span's task; null when the span named its agent itself and serves no task
 */
public record AgentRef(String agentId, String taskId) {}
