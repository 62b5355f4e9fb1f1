package dev.asr.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

/**
 * The repository's {@code schemas/} directory: one file per record type, each parsing on its own
 * (the enums inlined), and exactly the schema ASR's own clients register, so a producer in another
 * language that registers a file under the topic's subject gets the same schema id as ASR's.
 */
class SelfContainedSchemaFilesTest {

    private static final Path SCHEMAS = Path.of("..", "schemas");

    @Test
    void eachFileParsesAloneAndIsTheSchemaAsrRegisters() throws Exception {
        for (Schema registered : List.of(SpendEvent.getClassSchema(), OutcomeEvent.getClassSchema(), AgentWindowMetrics.getClassSchema(),
                BandTransition.getClassSchema())) {
            Path file = SCHEMAS.resolve(registered.getName() + ".avsc");
            assertThat(file).exists();
            Schema alone = new Schema.Parser().parse(Files.readString(file));
            assertThat(alone).as("%s is the schema ASR registers; if the .avsc sources changed, write it again from %s.getClassSchema()"
                    + ".toString(true)", file, registered.getName()).isEqualTo(registered);
            assertThat(Files.readString(file)).as(file.toString()).isEqualTo(registered.toString(true) + "\n");
        }
        try (var files = Files.list(SCHEMAS)) {
            assertThat(files.filter(f -> f.toString().endsWith(".avsc")).count()).isEqualTo(4);
        }
    }
}
