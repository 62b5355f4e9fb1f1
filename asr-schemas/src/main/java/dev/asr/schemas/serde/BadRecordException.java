package dev.asr.schemas.serde;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A record's bytes cannot be decoded: the record's fault, not the pipeline's. The topology sends
 * such records to the dead-letter topic under {@link #reason()}; the message names the topic, the
 * schema id where known, what is wrong and how to fix it.
 */
public final class BadRecordException extends SerializationException {

    /** Why a record could not be decoded; {@link #code()} is the dead-letter header and metric label. */
    public enum Reason {
        /** The first byte is not the Confluent magic byte 0. */
        NOT_WIRE_FORMAT("not-wire-format"),
        /** Fewer bytes than the 5-byte header, or the Avro body ends early. */
        TRUNCATED("truncated"),
        /** The schema id is not in the registry. */
        UNKNOWN_SCHEMA_ID("unknown-schema-id"),
        /** The writer schema cannot be read as the expected record type. */
        INCOMPATIBLE_SCHEMA("incompatible-schema"),
        /** The body is not valid Avro for its schema (bad lengths, union or enum index, trailing bytes). */
        MALFORMED("malformed-avro");

        private final String code;

        Reason(String code) {
            this.code = code;
        }

        public String code() {
            return code;
        }
    }

    private final Reason reason;

    public BadRecordException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }

    /** No stack trace: this is an expected outcome for bad input, and may come by the thousand. */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }
}
