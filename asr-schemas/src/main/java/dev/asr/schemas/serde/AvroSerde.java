package dev.asr.schemas.serde;

import dev.asr.schemas.evolution.Compatibility;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.serde.BadRecordException.Reason;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro in the Confluent wire format for one generated record type, with the subject named after the
 * topic ({@code <topic>-value}, or {@code <topic>-key}).
 *
 * <p>Writing registers the record's schema once per topic; reading resolves the writer schema by id
 * (cached) against the record's own schema, so records written with older or newer compatible
 * versions read as today's class. Thread-safe: Kafka Streams shares one serde across its threads.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

    /** A garbled length must fail as a bad record, not allocate gigabytes (Avro allows ~2 GiB by default). */
    private static final String MAX_LENGTH = Integer.toString(16 * 1024 * 1024);

    static {
        System.setProperty("org.apache.avro.limits.string.maxLength",
                System.getProperty("org.apache.avro.limits.string.maxLength", MAX_LENGTH));
        System.setProperty("org.apache.avro.limits.bytes.maxLength",
                System.getProperty("org.apache.avro.limits.bytes.maxLength", MAX_LENGTH));
    }

    private final Class<T> type;
    private final Schema schema;
    private final SpecificData model;
    private final SchemaRegistry registry;
    private final String subjectSuffix;
    private final DatumWriter<T> writer;
    private final Map<String, Integer> idsByTopic = new ConcurrentHashMap<>();
    private final Map<Integer, ReaderOrProblem<T>> readersById = new ConcurrentHashMap<>();
    private final ThreadLocal<Encoding> encodings = ThreadLocal.withInitial(Encoding::new);
    private final ThreadLocal<BinaryDecoder> decoders = new ThreadLocal<>();
    private final Serializer<T> serializer = this::encode;
    private final Deserializer<T> deserializer = this::decode;

    private AvroSerde(Class<T> type, SchemaRegistry registry, boolean isKey) {
        this.type = type;
        this.model = SpecificData.getForClass(type);
        this.schema = model.getSchema(type);
        trust(schema);
        this.registry = registry;
        this.subjectSuffix = isKey ? "-key" : "-value";
        this.writer = new SpecificDatumWriter<>(schema, model);
    }

    private static final Set<String> TRUSTED = ConcurrentHashMap.newKeySet();

    /**
     * Avro 1.12 refuses to instantiate classes it has not been told to trust: trust the generated
     * classes (records and enums) of the schema this serde reads, nothing more.
     */
    private static synchronized void trust(Schema schema) {
        List<String> names = new ArrayList<>();
        collectNamedTypes(schema, names, new HashSet<>());
        ClassSecurityValidator.Builder builder = ClassSecurityValidator.builder();
        boolean added = false;
        for (String name : names) {
            if (TRUSTED.add(name)) {
                builder.add(name);
                added = true;
            }
        }
        if (added) {
            ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(ClassSecurityValidator.getGlobal(), builder.build()));
        }
    }

    private static void collectNamedTypes(Schema schema, List<String> names, Set<String> seen) {
        switch (schema.getType()) {
            case RECORD, ENUM, FIXED -> {
                if (!seen.add(schema.getFullName())) {
                    return;
                }
                names.add(schema.getFullName());
                if (schema.getType() == Schema.Type.RECORD) {
                    schema.getFields().forEach(field -> collectNamedTypes(field.schema(), names, seen));
                }
            }
            case UNION -> schema.getTypes().forEach(type -> collectNamedTypes(type, names, seen));
            case ARRAY -> collectNamedTypes(schema.getElementType(), names, seen);
            case MAP -> collectNamedTypes(schema.getValueType(), names, seen);
            default -> { }
        }
    }

    /** The serde for record values of {@code type}. */
    public static <T extends SpecificRecord> AvroSerde<T> forValues(Class<T> type, SchemaRegistry registry) {
        return new AvroSerde<>(type, registry, false);
    }

    /** The serde for record keys of {@code type}. */
    public static <T extends SpecificRecord> AvroSerde<T> forKeys(Class<T> type, SchemaRegistry registry) {
        return new AvroSerde<>(type, registry, true);
    }

    /** The subject a topic's schema is registered under (Confluent's TopicNameStrategy). */
    public String subject(String topic) {
        return topic + subjectSuffix;
    }

    /** The reader schema: the schema of the generated class. */
    public Schema schema() {
        return schema;
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }

    /** Encodes {@code record} for {@code topic}: header plus Avro body; null stays null (tombstones). */
    public byte[] encode(String topic, T record) {
        if (record == null) {
            return null;
        }
        int id = idsByTopic.computeIfAbsent(topic, t -> registry.register(subject(t), schema));
        Encoding encoding = encodings.get();
        encoding.buffer.reset();
        encoding.buffer.write(HEADER_PLACEHOLDER, 0, WireFormat.HEADER_SIZE);
        try {
            encoding.encoder = EncoderFactory.get().directBinaryEncoder(encoding.buffer, encoding.encoder);
            writer.write(record, encoding.encoder);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            // A generated record with a required field left null, or a value of the wrong type.
            throw new IllegalArgumentException("cannot encode " + schema.getName() + " for topic '" + topic + "': "
                    + e.getMessage() + ". Set every required field of the record", e);
        }
        byte[] bytes = encoding.buffer.toByteArray();
        WireFormat.writeHeader(bytes, id);
        return bytes;
    }

    /**
     * Decodes a record read from {@code topic}.
     *
     * @throws BadRecordException when the bytes are not a readable record of this type
     * @throws dev.asr.schemas.registry.SchemaRegistryException when the registry cannot be reached
     */
    public T decode(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length < WireFormat.HEADER_SIZE) {
            throw new BadRecordException(Reason.TRUNCATED, "record on topic '" + topic + "' is " + bytes.length
                    + " bytes; the Confluent wire format needs at least " + WireFormat.HEADER_SIZE
                    + " (magic byte 0 and a 4-byte schema id) before the Avro body");
        }
        if (bytes[0] != WireFormat.MAGIC_BYTE) {
            throw new BadRecordException(Reason.NOT_WIRE_FORMAT, String.format("record on topic '%s' starts with byte 0x%02x, not the"
                    + " magic byte 0x00 of the Confluent wire format%s. Produce %s records with the ASR SDK, the ASR gateway"
                    + " or a Confluent Avro serializer", topic, bytes[0] & 0xff, looksLikeText(bytes) ? " (it looks like text: JSON or a"
                    + " plain string serializer?)" : "", schema.getName()));
        }
        int id = WireFormat.schemaId(bytes);
        ReaderOrProblem<T> reader = readersById.get(id);
        if (reader == null) {
            reader = readerFor(id, topic);
            if (reader != null) {
                readersById.putIfAbsent(id, reader);
            }
        }
        if (reader == null) {
            throw new BadRecordException(Reason.UNKNOWN_SCHEMA_ID, "record on topic '" + topic + "' names schema id " + id
                    + ", which " + registry.describe() + " does not have: it was written against another registry, or the"
                    + " registry lost its data. Point the consumer at the registry its producer used");
        }
        if (reader.problem != null) {
            throw new BadRecordException(Reason.INCOMPATIBLE_SCHEMA, "record on topic '" + topic + "' was written with schema id "
                    + id + " (" + reader.writerName + "), which cannot be read as " + schema.getFullName() + ": "
                    + reader.problem + ". Evolve " + schema.getName() + " BACKWARD-compatibly, or produce to the right topic");
        }
        int bodyLength = bytes.length - WireFormat.HEADER_SIZE;
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(bytes, WireFormat.HEADER_SIZE, bodyLength, decoders.get());
        decoders.set(decoder);
        T record;
        try {
            record = reader.reader.read(null, decoder);
        } catch (EOFException e) {
            throw new BadRecordException(Reason.TRUNCATED, "record on topic '" + topic + "' ends early: its " + bodyLength
                    + "-byte Avro body is too short for schema id " + id + " (" + reader.writerName + "). The record was cut"
                    + " short, or written with another schema than its id names");
        } catch (IOException | RuntimeException e) {
            throw new BadRecordException(Reason.MALFORMED, "record on topic '" + topic + "' is not valid Avro for schema id " + id
                    + " (" + reader.writerName + "): " + e.getClass().getSimpleName() + ": " + e.getMessage()
                    + ". The record was garbled, or written with another schema than its id names");
        }
        try {
            if (!decoder.isEnd()) {
                throw new BadRecordException(Reason.MALFORMED, "record on topic '" + topic + "' has bytes left after its " + schema.getName()
                        + " (schema id " + id + ") was read: it was written with another schema than its id names, or garbled");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return record;
    }

    private ReaderOrProblem<T> readerFor(int id, String topic) {
        Schema writerSchema = registry.schemaById(id).orElse(null);
        if (writerSchema == null) {
            return null;
        }
        List<String> problems = Compatibility.BACKWARD.problems(schema, writerSchema);
        if (!problems.isEmpty()) {
            return new ReaderOrProblem<>(null, writerSchema.getFullName(), String.join("; ", problems));
        }
        return new ReaderOrProblem<>(new SpecificDatumReader<>(writerSchema, schema, model), writerSchema.getFullName(), null);
    }

    private static boolean looksLikeText(byte[] bytes) {
        int first = bytes[0] & 0xff;
        return first == '{' || first == '[' || first == '"' || (first >= 0x20 && first < 0x7f);
    }

    @Override
    public String toString() {
        return "AvroSerde[" + type.getSimpleName() + ", " + registry.describe() + "]";
    }

    private static final byte[] HEADER_PLACEHOLDER = new byte[WireFormat.HEADER_SIZE];

    private record ReaderOrProblem<T>(DatumReader<T> reader, String writerName, String problem) {}

    /** Per-thread scratch space, so encoding allocates only the returned array. */
    private static final class Encoding {
        final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
        BinaryEncoder encoder;
    }
}
