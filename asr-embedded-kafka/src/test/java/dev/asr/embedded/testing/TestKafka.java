package dev.asr.embedded.testing;

import dev.asr.embedded.EmbeddedKafkaBroker;
import dev.asr.embedded.EmbeddedKafkaSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The broker integration tests run against, chosen once per JVM:
 *
 * <ol>
 *   <li>{@code KAFKA_BOOTSTRAP_SERVERS}, if set: an existing cluster;
 *   <li>else a Testcontainers Kafka broker, where a Docker engine runs;
 *   <li>else the in-process {@link EmbeddedKafkaBroker} on a free port and a temporary directory.
 * </ol>
 *
 * Tests that must control the broker themselves (restart it, stop it) start their own {@link
 * EmbeddedKafkaBroker} instead.
 */
public final class TestKafka {

    public static final String KAFKA_IMAGE = "apache/kafka:4.2.0";

    private static volatile String bootstrapServers;
    private static volatile String description;

    private TestKafka() {}

    public static String bootstrapServers() {
        if (bootstrapServers == null) {
            synchronized (TestKafka.class) {
                if (bootstrapServers == null) {
                    choose();
                }
            }
        }
        return bootstrapServers;
    }

    /** Which broker was chosen, for test logs. */
    public static String description() {
        bootstrapServers();
        return description;
    }

    private static void choose() {
        String fromEnvironment = System.getenv("KAFKA_BOOTSTRAP_SERVERS");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            description = "external cluster at " + fromEnvironment + " (KAFKA_BOOTSTRAP_SERVERS)";
            bootstrapServers = fromEnvironment;
            return;
        }
        if (dockerAvailable()) {
            KafkaContainer container = new KafkaContainer(KAFKA_IMAGE);
            container.start();
            Runtime.getRuntime().addShutdownHook(new Thread(container::stop, "test-kafka-container-stop"));
            description = "Testcontainers " + KAFKA_IMAGE;
            bootstrapServers = container.getBootstrapServers();
            return;
        }
        Path directory = temporaryDirectory("asr-test-kafka-");
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaSettings(directory, "localhost", 0, 0));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            broker.close();
            deleteRecursively(directory);
        }, "test-kafka-stop"));
        description = "in-process KRaft broker at " + broker.bootstrapServers();
        bootstrapServers = broker.bootstrapServers();
    }

    static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    public static Path temporaryDirectory(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
