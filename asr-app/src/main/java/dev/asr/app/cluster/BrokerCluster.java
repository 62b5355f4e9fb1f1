package dev.asr.app.cluster;

import dev.asr.embedded.EmbeddedKafkaBroker;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.apache.kafka.common.Uuid;

/**
 * A KRaft cluster of several nodes on this machine, each node ({@code asr broker --node-id ...})
 * in its own process with its own data directory and ports; every node is broker and controller.
 * A node can be killed (SIGKILL, as a crash) and started again on the same data.
 *
 * <p>Used by {@code asr broker --nodes 3} and by the tests that need a replicated cluster.
 */
public final class BrokerCluster implements AutoCloseable {

    /** The line a node prints once it serves; its bootstrap address follows. */
    public static final String READY = "Kafka broker ready at ";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    private final Path directory;
    private final List<Node> nodes;
    private final int[] ports;
    private final int[] controllerPorts;
    private final String clusterId;
    private final List<String> jvmOptions;
    private final Consumer<String> output;
    private final Process[] processes;

    /**
     * Where a node runs: the address it binds and gives clients and the other nodes, and what its
     * command line starts with (empty: this machine's own network; e.g. {@code ip netns exec NAME}
     * to run it in a network namespace of its own, which a test can cut off).
     */
    public record Node(String host, List<String> launcher) {

        public Node {
            launcher = List.copyOf(launcher);
        }

        public static Node local(String host) {
            return new Node(host, List.of());
        }
    }

    private BrokerCluster(Path directory, List<Node> nodes, int[] ports, int[] controllerPorts, List<String> jvmOptions,
            Consumer<String> output) {
        this.directory = directory;
        this.nodes = List.copyOf(nodes);
        this.ports = ports;
        this.controllerPorts = controllerPorts;
        this.clusterId = clusterIdFor(directory);
        this.jvmOptions = jvmOptions;
        this.output = output;
        this.processes = new Process[ports.length];
    }

    /**
     * Starts {@code nodes} nodes under {@code directory} ({@code node-1}, ...) and waits until each
     * serves. {@code basePort}: node {@code i}'s client port is {@code basePort + i - 1}; 0 picks free
     * ports. Every line the nodes print goes to {@code output}, prefixed with the node.
     */
    public static BrokerCluster start(int nodes, Path directory, String host, int basePort, List<String> jvmOptions, Consumer<String> output) {
        if (nodes < 1) {
            throw new IllegalArgumentException("--nodes " + nodes + ": a cluster has at least one node");
        }
        return start(Collections.nCopies(nodes, Node.local(host)), directory, basePort, jvmOptions, output);
    }

    /** As above, node {@code i} where {@code nodes.get(i - 1)} says. */
    public static BrokerCluster start(List<Node> nodes, Path directory, int basePort, List<String> jvmOptions, Consumer<String> output) {
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("--nodes 0: a cluster has at least one node");
        }
        // Free ports are picked before the nodes bind them: another process may take one in between. Picked ones are tried anew.
        for (int attempt = 1; ; attempt++) {
            int[] ports = new int[nodes.size()];
            int[] controllerPorts = new int[nodes.size()];
            for (int i = 0; i < nodes.size(); i++) {
                // A node in a network namespace of its own has every port free there: one free here will do.
                String pickOn = nodes.get(i).launcher().isEmpty() ? nodes.get(i).host() : "localhost";
                ports[i] = basePort == 0 ? EmbeddedKafkaBroker.freePort(pickOn) : basePort + i;
                controllerPorts[i] = EmbeddedKafkaBroker.freePort(pickOn);
            }
            BrokerCluster cluster = new BrokerCluster(directory.toAbsolutePath().normalize(), nodes, ports, controllerPorts, jvmOptions, output);
            try {
                // The nodes start together: none serves before a majority of the controllers has elected a leader.
                List<CompletableFuture<Void>> ready = new ArrayList<>();
                for (int node = 1; node <= nodes.size(); node++) {
                    ready.add(cluster.launch(node));
                }
                CompletableFuture.allOf(ready.toArray(CompletableFuture[]::new)).get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                return cluster;
            } catch (Exception e) {
                cluster.close();
                String why = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
                if (attempt < 3 && why != null && why.contains("is in use")) {
                    continue;
                }
                throw new IllegalStateException("the " + nodes.size() + "-node Kafka cluster did not start within " + START_TIMEOUT.toSeconds()
                        + " s: " + why, e);
            }
        }
    }

    /** {@code host:port} of every node, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        List<String> addresses = new ArrayList<>();
        for (int i = 0; i < ports.length; i++) {
            addresses.add(nodes.get(i).host() + ":" + ports[i]);
        }
        return String.join(",", addresses);
    }

    public int size() {
        return ports.length;
    }

    /** Node {@code node}'s client address. */
    public String address(int node) {
        return nodes.get(node - 1).host() + ":" + ports[node - 1];
    }

    public boolean alive(int node) {
        Process process = processes[node - 1];
        return process != null && process.isAlive();
    }

    /** The process id of node {@code node} while it runs, for CPU accounting and signals. */
    public long pid(int node) {
        return processes[node - 1].pid();
    }

    /** SIGKILL: the node dies as in a crash, with no chance to flush or hand over leadership. */
    public void kill(int node) throws InterruptedException {
        Process process = processes[node - 1];
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Starts a stopped node again on its data directory and waits until it serves. */
    public void restart(int node) throws Exception {
        if (alive(node)) {
            throw new IllegalStateException("node " + node + " is running");
        }
        launch(node).get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private CompletableFuture<Void> launch(int node) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(nodes.get(node - 1).launcher());
        command.add(java);
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.asr.app.Asr", "broker",
                "--data-dir", directory.resolve("node-" + node).toString(), "--host", nodes.get(node - 1).host(),
                "--port", Integer.toString(ports[node - 1]),
                "--node-id", Integer.toString(node), "--controller-port", Integer.toString(controllerPorts[node - 1]),
                "--quorum", voters(), "--cluster-id", clusterId, "--cluster-size", Integer.toString(ports.length)));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start node " + node + ": " + e.getMessage(), e);
        }
        processes[node - 1] = process;
        CompletableFuture<Void> ready = new CompletableFuture<>();
        ArrayDeque<String> last = new ArrayDeque<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    output.accept("[node " + node + "] " + line);
                    last.addLast(line);
                    if (last.size() > 10) {
                        last.removeFirst();
                    }
                    if (line.startsWith(READY)) {
                        ready.complete(null);
                    }
                }
            } catch (IOException ignored) {
                // The node stopped.
            }
            ready.completeExceptionally(new IllegalStateException("node " + node + " exited (code " + exitCode(process) + ") before it served;"
                    + " its last lines:\n" + String.join("\n", last)));
        }, "asr-cluster-node-" + node);
        reader.setDaemon(true);
        reader.start();
        return ready;
    }

    private static String exitCode(Process process) {
        try {
            return process.waitFor(5, TimeUnit.SECONDS) ? Integer.toString(process.exitValue()) : "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    private String voters() {
        List<String> voters = new ArrayList<>();
        for (int i = 0; i < controllerPorts.length; i++) {
            voters.add((i + 1) + "@" + nodes.get(i).host() + ":" + controllerPorts[i]);
        }
        return voters.stream().collect(Collectors.joining(","));
    }

    /** One cluster id per data directory, so that restarted nodes (and a second run on the same directory) agree. */
    private static String clusterIdFor(Path directory) {
        UUID uuid = UUID.nameUUIDFromBytes(directory.toString().getBytes(StandardCharsets.UTF_8));
        return new Uuid(uuid.getMostSignificantBits(), uuid.getLeastSignificantBits()).toString();
    }

    /** Stops every node (SIGTERM, then SIGKILL after 30 s); the data stays. */
    @Override
    public void close() {
        for (Process process : processes) {
            if (process != null) {
                process.destroy();
            }
        }
        for (Process process : processes) {
            if (process != null) {
                try {
                    if (!process.waitFor(30, TimeUnit.SECONDS)) {
                        process.destroyForcibly();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    process.destroyForcibly();
                }
            }
        }
    }
}
