package dev.asr.schemas.registry;

import org.apache.kafka.common.KafkaException;

/**
 * The registry could not answer (unreachable, refused credentials) or refused a schema. Not the
 * record's fault: such records must not be dead-lettered, the call should be retried when
 * {@link #retriable()} says so.
 */
public final class SchemaRegistryException extends KafkaException {

    private final boolean retriable;

    public SchemaRegistryException(String message, boolean retriable) {
        super(message);
        this.retriable = retriable;
    }

    public SchemaRegistryException(String message, boolean retriable, Throwable cause) {
        super(message, cause);
        this.retriable = retriable;
    }

    /** True when trying again later may succeed (network, 5xx); false for refusals (401, 409...). */
    public boolean retriable() {
        return retriable;
    }
}
