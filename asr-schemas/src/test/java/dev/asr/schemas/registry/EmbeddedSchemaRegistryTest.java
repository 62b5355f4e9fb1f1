package dev.asr.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.event.SpendEvent;
import dev.asr.schemas.SampleEvents;
import dev.asr.schemas.serde.AvroSerde;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedSchemaRegistryTest {

    private static final Schema V1 = SchemaBuilder.record("Thing").namespace("t").fields().requiredString("a").endRecord();
    private static final Schema BREAKING = SchemaBuilder.record("Thing").namespace("t").fields()
            .requiredString("a").requiredLong("c").endRecord();

    @Test
    void recordsWrittenBeforeARestartDecodeAfterIt(@TempDir Path directory) {
        byte[] bytes = AvroSerde.forValues(SpendEvent.class, new EmbeddedSchemaRegistry(directory))
                .encode("asr.spend.v1", SampleEvents.spend());
        AvroSerde<SpendEvent> afterRestart = AvroSerde.forValues(SpendEvent.class, new EmbeddedSchemaRegistry(directory));
        assertThat(afterRestart.decode("asr.spend.v1", bytes)).isEqualTo(SampleEvents.spend());
    }

    /** The demo's SDK client and its gateway: two registries of one directory in one JVM, registering at the same moment. */
    @Test
    void twoRegistriesOfOneDirectoryInOneProcessRegisterAtOnceWithoutFailing(@TempDir Path directory) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(8);
        try {
            List<Future<Integer>> ids = new ArrayList<>();
            for (int round = 0; round < 20; round++) {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Integer>> these = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(directory);
                    String subject = "subject-" + round;
                    these.add(threads.submit(() -> {
                        start.await();
                        return registry.register(subject, V1);
                    }));
                }
                start.countDown();
                ids.addAll(these);
            }
            for (Future<Integer> id : ids) {
                assertThat(id.get(30, TimeUnit.SECONDS)).isEqualTo(ids.get(0).get());
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void processesSharingTheDirectoryAgreeOnIdsWithoutTalking(@TempDir Path a, @TempDir Path b) {
        int inA = new EmbeddedSchemaRegistry(a).register("things-value", V1);
        int inB = new EmbeddedSchemaRegistry(b).register("things-value", V1);
        assertThat(inA).isEqualTo(inB).isEqualTo(EmbeddedSchemaRegistry.contentId(V1.toString()));
    }

    @Test
    void takesTheNextIdWhenTwoSchemasCollide(@TempDir Path directory) throws Exception {
        int natural = EmbeddedSchemaRegistry.contentId(V1.toString());
        Files.createDirectories(directory.resolve("ids"));
        Files.writeString(directory.resolve("ids").resolve(natural + ".avsc"), BREAKING.toString());
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(directory);
        int id = registry.register("things-value", V1);
        assertThat(id).isEqualTo(natural + 1);
        assertThat(registry.schemaById(natural)).contains(BREAKING);
        assertThat(new EmbeddedSchemaRegistry(directory).schemaById(id)).contains(V1);
    }

    @Test
    void refusesASchemaThatCannotReadTheLatestVersionOfItsSubject(@TempDir Path directory) {
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(directory);
        registry.register("things-value", V1);
        assertThatThrownBy(() -> new EmbeddedSchemaRegistry(directory).register("things-value", BREAKING))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("refused schema t.Thing under subject 'things-value'")
                .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE")
                .hasMessageContaining("Give new fields defaults");
        assertThat(registry.register("other-value", BREAKING)).isPositive();
    }

    @Test
    void unknownIdIsEmpty(@TempDir Path directory) {
        assertThat(new EmbeddedSchemaRegistry(directory).schemaById(12345)).isEmpty();
    }

    @Test
    void saysWhenASchemaFileWasDamaged(@TempDir Path directory) throws Exception {
        Files.createDirectories(directory.resolve("ids"));
        Files.writeString(directory.resolve("ids").resolve("5.avsc"), "{not json");
        assertThatThrownBy(() -> new EmbeddedSchemaRegistry(directory).schemaById(5))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageContaining("5.avsc is not a valid Avro schema")
                .hasMessageContaining("edited or damaged");
    }
}
