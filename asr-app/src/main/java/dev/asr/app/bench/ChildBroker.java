package dev.asr.app.bench;

import dev.asr.schemas.TopicNames;
import dev.asr.schemas.TopicProvisioner;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;

/**
 * A benchmark's broker: {@code asr broker} in its own process, so its CPU and memory stay out of the
 * figures of the process measured, with a temporary directory for its data and the embedded
 * schemas. Closing stops it and deletes the directory.
 */
final class ChildBroker implements AutoCloseable {

    private static final String READY = "Kafka broker ready at ";

    private final Path directory;
    private final Process process;
    private final String bootstrapServers;

    private ChildBroker(Path directory, Process process, String bootstrapServers) {
        this.directory = directory;
        this.process = process;
        this.bootstrapServers = bootstrapServers;
    }

    static ChildBroker start(String name) throws IOException {
        Path directory = Files.createTempDirectory(name);
        String jar = Path.of(ChildBroker.class.getProtectionDomain().getCodeSource().getLocation().getPath()).toString();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx1g"));
        // ASR_BENCH_BROKER_OPTS: more JVM flags for the broker, e.g. -XX:StartFlightRecording=filename=broker.jfr to profile it.
        String extra = System.getenv("ASR_BENCH_BROKER_OPTS");
        if (extra != null && !extra.isBlank()) {
            command.addAll(List.of(extra.trim().split("\\s+")));
        }
        command.addAll(List.of("-cp", jar, "dev.asr.app.Asr", "broker", "--port", "0", "--data-dir", directory.resolve("broker").toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            return new ChildBroker(directory, process, awaitReady(process));
        } catch (IOException | RuntimeException e) {
            stop(process, directory);
            throw e;
        }
    }

    /** Reads the broker's output up to its ready line, then drains the rest so the pipe never fills. */
    private static String awaitReady(Process process) throws IOException {
        BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = lines.readLine()) != null; ) {
            if (line.startsWith(READY)) {
                Thread drain = new Thread(() -> {
                    try {
                        while (lines.readLine() != null) {
                            // Keep the pipe from filling up.
                        }
                    } catch (IOException ignored) {
                        // The broker stopped.
                    }
                }, "bench-broker-output");
                drain.setDaemon(true);
                drain.start();
                return line.substring(READY.length()).trim();
            }
            seen.append(line).append('\n');
        }
        throw new IOException("the benchmark's broker exited before it was ready:\n" + seen);
    }

    String bootstrapServers() {
        return bootstrapServers;
    }

    /** Scratch space beside the broker's data: schemas, state directories. */
    Path directory() {
        return directory;
    }

    /** The topics, with schemas in this broker's directory, created with {@code partitions} each. */
    Topics topics(TopicNames names, int partitions) throws Exception {
        Topics topics = Topics.create(names, new EmbeddedSchemaRegistry(directory.resolve("schemas")));
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            new TopicProvisioner(admin).ensure(topics, partitions, (short) 1);
        }
        return topics;
    }

    /** CPU seconds (user + system) the broker's process has used so far, from /proc; 0 where there is none. */
    double cpuSeconds() {
        return ProcessCpu.seconds(process.pid());
    }

    /** Bytes on disk of each topic whose name {@code matches}, summed over its partitions. */
    Map<String, Long> topicBytes(Predicate<String> matches) throws Exception {
        return topicBytes(bootstrapServers, matches);
    }

    /**
     * Bytes on disk of each topic {@code matches} accepts, one replica of each partition counted (the
     * largest: on a replicated cluster, what one copy holds), from every broker's log directories.
     */
    static Map<String, Long> topicBytes(String bootstrapServers, Predicate<String> matches) throws Exception {
        Map<TopicPartition, Long> partitions = new HashMap<>();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
            admin.describeLogDirs(brokers).allDescriptions().get().values().forEach(dirs -> dirs.values().forEach(dir ->
                    dir.replicaInfos().forEach((partition, replica) -> {
                        if (matches.test(partition.topic())) {
                            partitions.merge(partition, replica.size(), Math::max);
                        }
                    })));
        }
        Map<String, Long> bytes = new TreeMap<>();
        partitions.forEach((partition, size) -> bytes.merge(partition.topic(), size, Long::sum));
        return bytes;
    }

    @Override
    public void close() throws IOException {
        stop(process, directory);
    }

    private static void stop(Process process, Path directory) throws IOException {
        process.destroy();
        try {
            process.waitFor(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteRecursively(directory);
    }

    /** Deletes {@code path} and everything under it; nothing when it does not exist. */
    static void deleteRecursively(Path path) throws IOException {
        if (path == null || !Files.exists(path)) {
            return;
        }
        try (var paths = Files.walk(path)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
