package dev.asr.streams.processor;

import java.nio.charset.StandardCharsets;

/** The headers a dead letter carries besides the original record's own; values are UTF-8 text. */
public final class DeadLetters {

    /** Why: a {@link dev.asr.schemas.rules.Rejection} code such as {@code negative-amount}. */
    public static final String REASON = "asr.dlq.reason";
    /** What exactly, in a sentence naming the field or byte and the fix. */
    public static final String ERROR = "asr.dlq.error";
    public static final String SOURCE_TOPIC = "asr.dlq.source.topic";
    public static final String SOURCE_PARTITION = "asr.dlq.source.partition";
    public static final String SOURCE_OFFSET = "asr.dlq.source.offset";

    private DeadLetters() {}

    static byte[] utf8(String value) {
        return value.getBytes(StandardCharsets.UTF_8);
    }
}
