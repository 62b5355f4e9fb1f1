package dev.asr.schemas.registry;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/** Hands out one fixed id, so golden vectors can pin every byte of the header. */
public final class InMemorySchemaRegistry implements SchemaRegistry {

    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();
    private final int id;

    public InMemorySchemaRegistry(int id) {
        this.id = id;
    }

    @Override
    public int register(String subject, Schema schema) {
        schemas.put(id, schema);
        return id;
    }

    @Override
    public Optional<Schema> schemaById(int wanted) {
        return Optional.ofNullable(schemas.get(wanted));
    }

    @Override
    public String describe() {
        return "in-memory test registry";
    }
}
