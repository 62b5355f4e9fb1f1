package dev.asr.schemas.evolution;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;

/** A record with a non-default value in every field, for any schema version. */
final class SampleData {

    private SampleData() {}

    static GenericRecord of(Schema schema) {
        return (GenericRecord) value(schema, 1);
    }

    private static Object value(Schema schema, int seed) {
        return switch (schema.getType()) {
            case RECORD -> {
                GenericData.Record record = new GenericData.Record(schema);
                int i = seed;
                for (Schema.Field field : schema.getFields()) {
                    record.put(field.pos(), value(field.schema(), ++i));
                }
                yield record;
            }
            case ENUM -> new GenericData.EnumSymbol(schema, schema.getEnumSymbols().get(seed % schema.getEnumSymbols().size()));
            case UNION -> value(schema.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst()
                    .orElse(schema.getTypes().get(0)), seed);
            case STRING -> "s" + seed;
            case LONG -> 1_000L * seed;
            case INT -> seed;
            case DOUBLE -> seed / 8.0;
            case FLOAT -> seed / 8.0f;
            case BOOLEAN -> seed % 2 == 0;
            case BYTES -> ByteBuffer.wrap(new byte[] {(byte) seed});
            case MAP -> Map.of("k" + seed, value(schema.getValueType(), seed));
            case ARRAY -> new GenericData.Array<>(schema, List.of(value(schema.getElementType(), seed)));
            case FIXED -> new GenericData.Fixed(schema, new byte[schema.getFixedSize()]);
            case NULL -> null;
        };
    }
}
