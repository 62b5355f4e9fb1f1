package dev.asr.streams.ledger;

import dev.asr.streams.agent.AgentKey;

/** Tasks that have settled, by outcome or timeout, remembered for {@code asr.task.settled-retention}. */
public interface SettledTasks {

    /** How the task settled, or null when it has not (or so long ago it is forgotten). */
    Settlement find(AgentKey agent, String taskId);

    void remember(AgentKey agent, String taskId, Settlement settlement);
}
