package dev.asr.streams.ledger;

import dev.asr.streams.agent.AgentKey;

/**
 * The event ids each agent has had: de-duplication by {@code event_id} alone (SPEC §6 v2),
 * whatever {@code occurred_at} a resend carries. Exact: an id is a duplicate only if it was
 * certainly seen. Ids are forgotten after {@code asr.dedup.retention}.
 */
public interface SeenIds {

    /** Remembers {@code eventId} for {@code agent}; false when it was already there (a duplicate). */
    boolean firstSight(AgentKey agent, String eventId);
}
