package dev.asr.app;

import dev.asr.app.cluster.BrokerCluster;
import dev.asr.embedded.EmbeddedKafkaBroker;
import dev.asr.embedded.EmbeddedKafkaSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The embedded Kafka, until Ctrl-C: one node in this process (a local Kafka for trying ASR's
 * parts one by one), or with {@code --nodes 3} a replicated KRaft cluster of three nodes, each its
 * own process with its own data directory and port (the demo's big brother, for scaling out).
 */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run the in-process Kafka (KRaft) until Ctrl-C: one node, or --nodes N, each in its own process.")
final class BrokerCommand implements Callable<Integer> {

    /** The line a parent process waits for; the bootstrap servers follow it. */
    static final String READY = BrokerCluster.READY;

    @Spec
    CommandSpec spec;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "Broker data (with --nodes: node-1, node-2, ... under it); reuse it to keep"
            + " topics and records (default: ${DEFAULT-VALUE}).")
    Path dataDirectory = Path.of(".asr", "broker");

    @Option(names = "--port", description = "Listener port on localhost (with --nodes: the first node's; the others follow it); 0 picks free"
            + " ones (default: ${DEFAULT-VALUE}).")
    int port = EmbeddedKafkaSettings.DEFAULT_PORT;

    @Option(names = "--nodes", description = "Nodes of the cluster, each its own process (broker and controller); with 3 or more, topics get"
            + " 3 replicas and min.insync.replicas=2 (default: ${DEFAULT-VALUE}: this process alone).")
    int nodes = 1;

    @Option(names = "--host", hidden = true, description = "The address this node binds and advertises (set by --nodes; default:"
            + " ${DEFAULT-VALUE}).")
    String host = EmbeddedKafkaSettings.DEFAULT_HOST;

    @Option(names = "--node-id", hidden = true, description = "This node's id in a cluster (set by --nodes).")
    Integer nodeId;

    @Option(names = "--controller-port", hidden = true, description = "This node's controller listener (set by --nodes).")
    int controllerPort;

    @Option(names = "--quorum", hidden = true, description = "controller.quorum.voters of the cluster (set by --nodes).")
    String quorum;

    @Option(names = "--cluster-id", hidden = true, description = "The cluster's id (set by --nodes).")
    String clusterId;

    @Option(names = "--cluster-size", hidden = true, description = "Nodes in the cluster (set by --nodes).")
    int clusterSize;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (nodes < 1) {
            throw new ParameterException(spec.commandLine(), "--nodes " + nodes + ": a cluster has at least one node");
        }
        Lifetime lifetime = new Lifetime();
        if (nodes > 1) {
            return cluster(out, lifetime);
        }
        EmbeddedKafkaSettings.Quorum node = nodeId == null ? null : new EmbeddedKafkaSettings.Quorum(nodeId, quorum, clusterId, clusterSize);
        if (node != null) {
            // A node of asr broker --nodes stops with the process that started it, even one killed with no chance to stop it.
            ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(lifetime::stop));
        }
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(
                new EmbeddedKafkaSettings(dataDirectory.toAbsolutePath().normalize(), host, port, controllerPort, node))) {
            out.println(READY + broker.bootstrapServers());
            out.flush();
            lifetime.await(null);
        } finally {
            lifetime.shutDown();
        }
        return 0;
    }

    private int cluster(PrintWriter out, Lifetime lifetime) throws InterruptedException, IOException {
        out.printf("Starting a %d-node Kafka cluster (KRaft, every node broker and controller, each its own process) in %s%n", nodes,
                dataDirectory.toAbsolutePath().normalize());
        out.flush();
        String heap = System.getenv().getOrDefault("ASR_BROKER_HEAP", "-Xmx512m");
        Path logFile = dataDirectory.toAbsolutePath().normalize().resolve("cluster.log");
        Files.createDirectories(logFile.getParent());
        try (PrintWriter nodeLog = new PrintWriter(Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND), true);
             BrokerCluster cluster = BrokerCluster.start(nodes, dataDirectory, "localhost", port, List.of(heap), line -> {
                 synchronized (nodeLog) {
                     nodeLog.println(line);
                 }
             })) {
            out.println("Kafka cluster ready at " + cluster.bootstrapServers() + " (the nodes' logs: " + logFile + ")");
            out.printf("Topics created against it get %d replicas and min.insync.replicas=%d (asr ingest / asr streams --create-topics"
                    + " choose from the cluster's size)%n", Math.min(3, nodes), Math.min(2, Math.min(3, nodes)));
            out.flush();
            lifetime.await(null);
        } finally {
            lifetime.shutDown();
        }
        return 0;
    }
}
