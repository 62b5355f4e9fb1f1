package dev.asr.streams.validation;

import dev.asr.schemas.serde.BadRecordException;

/**
 * Why an input record went to the dead-letter topic. {@link #code()} is the value of the
 * {@code asr.dlq.reason} header and the {@code reason} label of the dead-letter counter.
 */
public enum Rejection {
    NOT_WIRE_FORMAT("not-wire-format"),
    TRUNCATED("truncated"),
    UNKNOWN_SCHEMA_ID("unknown-schema-id"),
    INCOMPATIBLE_SCHEMA("incompatible-schema"),
    MALFORMED("malformed-avro"),
    MISSING_VALUE("missing-value"),
    MISSING_FIELD("missing-field"),
    NEGATIVE_AMOUNT("negative-amount"),
    FUTURE_TIMESTAMP("future-timestamp"),
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
