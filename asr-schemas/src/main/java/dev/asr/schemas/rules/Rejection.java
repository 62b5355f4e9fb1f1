package dev.asr.schemas.rules;

import dev.asr.schemas.serde.BadRecordException;

/**
 * Why an input record is refused. {@link #code()} is the same word everywhere a record can be
 * refused: the {@code asr.dlq.reason} header of a dead letter, the {@code reason} label of the
 * dead-letter counter, and the {@code reason} of a per-record error in the gateway's answer.
 */
public enum Rejection {
    NOT_WIRE_FORMAT("not-wire-format"),
    TRUNCATED("truncated"),
    UNKNOWN_SCHEMA_ID("unknown-schema-id"),
    INCOMPATIBLE_SCHEMA("incompatible-schema"),
    MALFORMED("malformed-avro"),
    MISSING_VALUE("missing-value"),
    MISSING_FIELD("missing-field"),
    /** An id that is longer than 256 characters or holds a control character. */
    INVALID_ID("invalid-id"),
    NEGATIVE_AMOUNT("negative-amount"),
    /** An amount, token count or time outside the bounds of SPEC §6. */
    OUT_OF_RANGE("out-of-range"),
    FUTURE_TIMESTAMP("future-timestamp"),
    /** Older than its agent's clock by more than the longest view: no open window can take it. */
    TOO_LATE("too-late"),
    CURRENCY_MISMATCH("currency-mismatch"),
    KEY_MISMATCH("key-mismatch");

    private final String code;

    Rejection(String code) {
        this.code = code;
    }

    public String code() {
        return code;
    }

    public static Rejection of(BadRecordException.Reason reason) {
        return switch (reason) {
            case NOT_WIRE_FORMAT -> NOT_WIRE_FORMAT;
            case TRUNCATED -> TRUNCATED;
            case UNKNOWN_SCHEMA_ID -> UNKNOWN_SCHEMA_ID;
            case INCOMPATIBLE_SCHEMA -> INCOMPATIBLE_SCHEMA;
            case MALFORMED -> MALFORMED;
        };
    }
}
