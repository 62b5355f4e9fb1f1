package dev.asr.schemas.evolution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.AllowanceEvent;
import dev.asr.event.AuthorizationDecision;
import dev.asr.event.BandTransition;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.registry.InMemorySchemaRegistry;
import dev.asr.schemas.serde.AvroSerde;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every published schema version lives in {@code schema-history/<Record>/v<N>.avsc}. The current
 * schema must be the latest of them, and must keep the promise of its record to every earlier one:
 * BACKWARD for the inputs (the topology reads old producers' data), FULL for the outputs (other
 * services read them and upgrade on their own schedule).
 */
class SchemaEvolutionTest {

    private static final Path HISTORY = Path.of("schema-history");

    static Stream<Arguments> promises() {
        return Stream.of(
                Arguments.of(SpendEvent.class, Compatibility.BACKWARD),
                Arguments.of(OutcomeEvent.class, Compatibility.BACKWARD),
                Arguments.of(AgentWindowMetrics.class, Compatibility.FULL),
                Arguments.of(BandTransition.class, Compatibility.FULL),
                Arguments.of(AuthorizationDecision.class, Compatibility.FULL),
                Arguments.of(AllowanceEvent.class, Compatibility.FULL));
    }

    @Test
    void everyRecordSchemaHasAPromise() throws IOException {
        List<String> promised = promises().map(a -> ((Class<?>) a.get()[0]).getSimpleName()).toList();
        List<String> records = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> listing = Files.list(Path.of("src/main/avro"))) {
            // Enums first, as the build's avro-maven-plugin imports them, so records can name them.
            files = listing.sorted(Comparator.comparing((Path file) -> !read(file).contains("\"enum\""))).toList();
        }
        Schema.Parser parser = new Schema.Parser();
        for (Path file : files) {
            Schema schema = parser.parse(file.toFile());
            if (schema.getType() == Schema.Type.RECORD) {
                records.add(schema.getName());
            }
        }
        assertThat(promised).containsExactlyInAnyOrderElementsOf(records);
    }

    @ParameterizedTest(name = "{0} is the latest version in schema-history")
    @MethodSource("promises")
    <T extends SpecificRecord> void currentSchemaIsTheLatestPublishedVersion(Class<T> type, Compatibility promise) throws IOException {
        List<Schema> versions = history(type);
        Schema current = SpecificData.get().getSchema(type);
        assertThat(versions).as("versions in %s", HISTORY.resolve(type.getSimpleName())).isNotEmpty();
        assertThat(current)
                .as("the %s schema changed: if on purpose, add %s/v%d.avsc holding it (%s promise to every earlier version)",
                        type.getSimpleName(), HISTORY.resolve(type.getSimpleName()), versions.size() + 1, promise)
                .isEqualTo(versions.get(versions.size() - 1));
    }

    @ParameterizedTest(name = "{0} keeps its {1} promise to every earlier version")
    @MethodSource("promises")
    <T extends SpecificRecord> void keepsItsPromiseToEveryEarlierVersion(Class<T> type, Compatibility promise) throws IOException {
        Schema current = SpecificData.get().getSchema(type);
        List<Schema> versions = history(type);
        for (int v = 0; v < versions.size(); v++) {
            assertThat(promise.problems(current, versions.get(v))).as("%s against v%d", type.getSimpleName(), v + 1).isEmpty();
        }
    }

    @ParameterizedTest(name = "{0}: today's serde reads bytes written with every earlier version")
    @MethodSource("promises")
    <T extends SpecificRecord> void todaysSerdeReadsEveryEarlierVersionsBytes(Class<T> type, Compatibility promise) throws IOException {
        List<Schema> versions = history(type);
        for (int v = 0; v < versions.size(); v++) {
            Schema old = versions.get(v);
            InMemorySchemaRegistry registry = new InMemorySchemaRegistry(100 + v);
            registry.register("topic-value", old);
            byte[] bytes = wire(100 + v, old, SampleData.of(old));
            T read = AvroSerde.forValues(type, registry).decode("topic", bytes);
            assertThat(read).as("%s v%d read as today's class", type.getSimpleName(), v + 1).isNotNull();
        }
    }

    @ParameterizedTest(name = "{0}: every earlier version reads today's bytes where FULL is promised")
    @MethodSource("promises")
    <T extends SpecificRecord> void everyEarlierVersionReadsTodaysBytes(Class<T> type, Compatibility promise) throws IOException {
        if (promise != Compatibility.FULL) {
            return;
        }
        Schema current = SpecificData.get().getSchema(type);
        GenericRecord today = SampleData.of(current);
        byte[] body = body(current, today);
        for (Schema old : history(type)) {
            GenericRecord read = new GenericDatumReader<GenericRecord>(current, old)
                    .read(null, DecoderFactory.get().binaryDecoder(body, null));
            for (Schema.Field field : old.getFields()) {
                if (current.getField(field.name()) != null) {
                    assertThat(String.valueOf(read.get(field.name()))).isEqualTo(String.valueOf(today.get(field.name())));
                }
            }
        }
    }

    @Test
    void theCheckCatchesABreakingChange() throws IOException {
        Schema v1 = history(SpendEvent.class).get(0);
        Schema requiredFieldAdded = SchemaBuilder.record("SpendEvent").namespace("dev.asr.event").fields()
                .requiredString("event_id").requiredString("agent_id").requiredString("budget_id").endRecord();
        assertThat(Compatibility.BACKWARD.problems(requiredFieldAdded, v1))
                .anySatisfy(problem -> assertThat(problem).contains("READER_FIELD_MISSING_DEFAULT_VALUE").contains("budget_id"));

        // A new band symbol would break every consumer still on v1 of BandTransition.
        Schema transitions = history(BandTransition.class).get(0);
        Schema newBand = new Schema.Parser().parse(transitions.toString()
                .replace("\"SELF_DIRECTED\"]", "\"SELF_DIRECTED\",\"AUTONOMOUS\"]"));
        assertThat(Compatibility.FULL.problems(newBand, transitions))
                .anySatisfy(problem -> assertThat(problem).startsWith("the old schema cannot read new data").contains("AUTONOMOUS"));
    }

    private static List<Schema> history(Class<?> type) throws IOException {
        Path directory = HISTORY.resolve(type.getSimpleName());
        List<Schema> versions = new ArrayList<>();
        for (int v = 1; Files.exists(directory.resolve("v" + v + ".avsc")); v++) {
            versions.add(new Schema.Parser().parse(directory.resolve("v" + v + ".avsc").toFile()));
        }
        return versions;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] wire(int id, Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[] {0, (byte) (id >>> 24), (byte) (id >>> 16), (byte) (id >>> 8), (byte) id});
        out.write(body(schema, record));
        return out.toByteArray();
    }

    private static byte[] body(Schema schema, GenericRecord record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(schema, GenericData.get()).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }
}
