package dev.asr.schemas.evolution;

import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;

/**
 * The schema evolution promises, in Schema Registry's terms.
 *
 * <p>BACKWARD: the newer schema reads data written with the older one (consumers upgrade first).
 * FORWARD: the older schema reads data written with the newer one (producers upgrade first). FULL:
 * both.
 */
public enum Compatibility {
    BACKWARD,
    FORWARD,
    FULL;

    /** What stops {@code newer} from evolving {@code older} under this promise; empty when nothing. */
    public List<String> problems(Schema newer, Schema older) {
        List<String> problems = new ArrayList<>();
        if (this != FORWARD) {
            describe(SchemaCompatibility.checkReaderWriterCompatibility(newer, older), "the new schema cannot read old data", problems);
        }
        if (this != BACKWARD) {
            describe(SchemaCompatibility.checkReaderWriterCompatibility(older, newer), "the old schema cannot read new data", problems);
        }
        return problems;
    }

    private static void describe(SchemaCompatibility.SchemaPairCompatibility pair, String what, List<String> problems) {
        if (pair.getType() == SchemaCompatibilityType.COMPATIBLE) {
            return;
        }
        for (Incompatibility incompatibility : pair.getResult().getIncompatibilities()) {
            problems.add(what + ": " + incompatibility.getType() + " at " + incompatibility.getLocation()
                    + " (" + incompatibility.getMessage() + ")");
        }
    }
}
