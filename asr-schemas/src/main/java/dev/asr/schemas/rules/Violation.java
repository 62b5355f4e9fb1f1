package dev.asr.schemas.rules;

/**
 * What is wrong with one event: the reason, the field it is about (null when it is about the
 * record as a whole), and a sentence that names the bad value and the fix. The gateway answers it
 * as a per-record error; the topology puts it in a dead letter's headers.
 */
public record Violation(Rejection rejection, String field, String message) {}
