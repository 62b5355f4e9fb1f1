package dev.asr.schemas.registry;

import dev.asr.schemas.evolution.Compatibility;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * A schema registry without a server, for the embedded default: schemas live as files in a
 * directory beside the broker's data, so data written before a restart still decodes after it.
 *
 * <p>An id is derived from the schema's full text (SHA-256, 31 bits), so every process sharing the
 * directory agrees on ids without coordinating; on the rare collision the next free id is taken.
 * Like a real registry it refuses a schema that cannot read the latest one under the same subject
 * (BACKWARD compatibility).
 *
 * <p>Layout: {@code ids/<id>.avsc} holds each schema; {@code subjects/<subject>} lists a subject's
 * ids, oldest first.
 */
public final class EmbeddedSchemaRegistry implements SchemaRegistry {

    /** One monitor per subject file for the whole JVM, taken before the file lock. */
    private static final ConcurrentHashMap<Path, Object> IN_PROCESS = new ConcurrentHashMap<>();

    private final Path ids;
    private final Path subjects;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();

    public EmbeddedSchemaRegistry(Path directory) {
        this.ids = directory.resolve("ids");
        this.subjects = directory.resolve("subjects");
        try {
            Files.createDirectories(ids);
            Files.createDirectories(subjects);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the embedded schema registry in " + directory
                    + ": " + e.getMessage() + ". Choose a writable data directory", e);
        }
    }

    @Override
    public int register(String subject, Schema schema) {
        Map<Schema, Integer> known = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = known.get(schema);
        if (cached != null) {
            return cached;
        }
        int id = store(schema);
        addToSubject(subject, schema, id);
        known.put(schema, id);
        return id;
    }

    @Override
    public Optional<Schema> schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Schema> read = read(id);
        read.ifPresent(schema -> schemasById.putIfAbsent(id, schema));
        return read;
    }

    @Override
    public String describe() {
        return "embedded schema registry in " + ids.getParent();
    }

    /** Stores the schema under its content-derived id (or the next free one) and returns the id. */
    private synchronized int store(Schema schema) {
        String text = schema.toString();
        for (int id = contentId(text); ; id = id == Integer.MAX_VALUE ? 1 : id + 1) {
            Optional<Schema> existing = read(id);
            if (existing.isPresent()) {
                if (existing.get().toString().equals(text)) {
                    schemasById.putIfAbsent(id, existing.get());
                    return id;
                }
                continue;
            }
            write(ids.resolve(id + ".avsc"), text);
            schemasById.putIfAbsent(id, schema);
            return id;
        }
    }

    private void addToSubject(String subject, Schema schema, int id) {
        Path file = subjects.resolve(RestSchemaRegistry.pathSegment(subject));
        // A file lock belongs to the whole process: two registries of one directory in one JVM (the demo's
        // SDK client and its gateway) would not wait for each other's but fail on it. They take turns here first.
        synchronized (IN_PROCESS.computeIfAbsent(file.toAbsolutePath().normalize(), path -> new Object())) {
            appendToSubject(file, subject, schema, id);
        }
    }

    private void appendToSubject(Path file, String subject, Schema schema, int id) {
        // The file lock keeps two processes sharing the directory from interleaving their appends.
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            List<Integer> versions = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    versions.add(Integer.parseInt(line.trim()));
                }
            }
            if (versions.contains(id)) {
                return;
            }
            if (!versions.isEmpty()) {
                int latestId = versions.get(versions.size() - 1);
                Schema latest = schemaById(latestId).orElseThrow(() -> new SchemaRegistryException(describe()
                        + " lists schema id " + latestId + " under subject '" + subject + "' but has no file for it", false));
                List<String> problems = Compatibility.BACKWARD.problems(schema, latest);
                if (!problems.isEmpty()) {
                    throw new SchemaRegistryException(describe() + " refused schema " + schema.getFullName() + " under subject '"
                            + subject + "': it cannot read data written with the latest version (id " + latestId + "): "
                            + String.join("; ", problems) + ". Give new fields defaults and do not remove fields without defaults", false);
                }
            }
            channel.position(channel.size());
            channel.write(ByteBuffer.wrap((id + "\n").getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new SchemaRegistryException("cannot write subject '" + subject + "' in " + describe() + ": " + e.getMessage(), true, e);
        }
    }

    private Optional<Schema> read(int id) {
        Path file = ids.resolve(id + ".avsc");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new SchemaRegistryException("cannot read " + file + ": " + e.getMessage(), true, e);
        }
        try {
            return Optional.of(new Schema.Parser().parse(text));
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(file + " is not a valid Avro schema (" + e.getMessage()
                    + "): the embedded registry's directory was edited or damaged", false, e);
        }
    }

    /** Writes through a temporary file and a rename, so a concurrent reader never sees half a schema. */
    private static void write(Path target, String text) {
        try {
            Path temp = Files.createTempFile(target.getParent(), ".schema-", ".tmp");
            Files.writeString(temp, text, StandardCharsets.UTF_8);
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            throw new SchemaRegistryException("cannot write " + target + ": " + e.getMessage(), true, e);
        }
    }

    static int contentId(String schemaText) {
        byte[] digest;
        try {
            digest = MessageDigest.getInstance("SHA-256").digest(schemaText.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
        int id = ((digest[0] & 0x7f) << 24) | ((digest[1] & 0xff) << 16) | ((digest[2] & 0xff) << 8) | (digest[3] & 0xff);
        return id == 0 ? 1 : id;
    }
}
