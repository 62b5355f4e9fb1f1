package dev.asr.embedded;

import java.nio.file.Path;

/**
 * Where the in-process broker keeps its data and listens.
 *
 * @param dataDirectory broker logs and metadata live under {@code <dataDirectory>/kafka}; reuse it
 *     to keep topics and data across restarts
 * @param host the interface both listeners bind, and the host clients are told to use
 * @param port the client listener (9092 by default; 0 picks a free port)
 * @param controllerPort the KRaft controller listener (0 picks a free port)
 * @param quorum this node's place in a cluster of several (each its own process); null: a cluster of one
 */
public record EmbeddedKafkaSettings(Path dataDirectory, String host, int port, int controllerPort, Quorum quorum) {

    /**
     * A node of a KRaft cluster whose every node is broker and controller.
     *
     * @param nodeId this node's id (1..size)
     * @param voters {@code controller.quorum.voters}: {@code <id>@<host>:<controller port>} of every node, comma-separated
     * @param clusterId the id every node's storage is formatted with
     * @param size how many nodes the cluster has: internal topics get min(3, size) replicas
     */
    public record Quorum(int nodeId, String voters, String clusterId, int size) {

        public Quorum {
            if (nodeId < 1 || size < 1 || nodeId > size) {
                throw new IllegalArgumentException("node " + nodeId + " of a cluster of " + size + ": ids run from 1 to the cluster size");
            }
        }
    }

    public EmbeddedKafkaSettings(Path dataDirectory, String host, int port, int controllerPort) {
        this(dataDirectory, host, port, controllerPort, null);
    }

    public static final String DEFAULT_HOST = "localhost";
    public static final int DEFAULT_PORT = 9092;

    public EmbeddedKafkaSettings {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("Kafka port " + port + " is not a TCP port: use 1-65535, or 0 for any free port");
        }
        if (controllerPort < 0 || controllerPort > 65535) {
            throw new IllegalArgumentException("controller port " + controllerPort + " is not a TCP port: use 1-65535, or 0 for any free port");
        }
    }

    public static EmbeddedKafkaSettings defaults(Path dataDirectory) {
        return new EmbeddedKafkaSettings(dataDirectory, DEFAULT_HOST, DEFAULT_PORT, 0);
    }

    public EmbeddedKafkaSettings withPort(int newPort) {
        return new EmbeddedKafkaSettings(dataDirectory, host, newPort, controllerPort, quorum);
    }
}
