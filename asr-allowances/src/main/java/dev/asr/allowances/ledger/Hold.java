package dev.asr.allowances.ledger;

import java.time.Instant;

/** Money an ALLOW set aside for a spend to come: released when that spend arrives, when it expires, or early on request. */
public record Hold(String authorizationId, long amountMicros, Instant expiresAt) {}
