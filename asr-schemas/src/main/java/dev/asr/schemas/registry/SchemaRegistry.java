package dev.asr.schemas.registry;

import java.util.Optional;
import org.apache.avro.Schema;

/**
 * Where the serde turns schemas into 4-byte ids and back.
 *
 * <p>Two implementations: {@link RestSchemaRegistry} speaks the Confluent Schema Registry REST API
 * (Confluent, or Apicurio's ccompat API) for production; {@link EmbeddedSchemaRegistry} keeps
 * schemas in a directory for the embedded default, where no registry server runs.
 */
public interface SchemaRegistry extends AutoCloseable {

    /**
     * The id of {@code schema} under {@code subject}, registering it if the registry allows.
     *
     * @throws SchemaRegistryException if the registry cannot be reached or refuses the schema
     */
    int register(String subject, Schema schema);

    /**
     * The schema with this id, or empty when the registry has none (the record was written against
     * another registry).
     *
     * @throws SchemaRegistryException if the registry cannot be reached
     */
    Optional<Schema> schemaById(int id);

    /**
     * Asks the registry whether it answers; the embedded one always does.
     *
     * @throws SchemaRegistryException naming the registry and the fix when it does not
     */
    default void check() {}

    /** Names this registry in error messages, e.g. "Schema Registry at http://registry:8081". */
    String describe();

    @Override
    default void close() {}
}
