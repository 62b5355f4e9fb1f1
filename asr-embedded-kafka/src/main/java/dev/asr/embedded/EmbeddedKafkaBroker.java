package dev.asr.embedded;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Apache Kafka node in KRaft mode (broker and controller in one node), running in this JVM: a
 * cluster of one, or one node of a cluster whose other nodes run in their own processes ({@link
 * EmbeddedKafkaSettings.Quorum}). Storage is formatted on first start; later starts on the same
 * data directory keep every topic, offset and record.
 *
 * <p>Sized for a laptop: few coordinator partitions, a small log-cleaner buffer, two network
 * threads. It is the broker of {@code ./asr demo} and of the integration tests, and the nodes of
 * {@code asr broker --nodes 3}, not a production cluster.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);

    private final EmbeddedKafkaSettings settings;
    private final int port;
    private final KafkaRaftServer server;
    private final DirectoryLock lock;
    private volatile boolean closed;

    private EmbeddedKafkaBroker(EmbeddedKafkaSettings settings, int port, KafkaRaftServer server, DirectoryLock lock) {
        this.settings = settings;
        this.port = port;
        this.server = server;
        this.lock = lock;
    }

    /** Formats storage if this is the data directory's first start, starts the broker and waits until it serves. */
    public static EmbeddedKafkaBroker start(EmbeddedKafkaSettings settings) {
        Path logDirectory = settings.dataDirectory().toAbsolutePath().resolve("kafka");
        try {
            Files.createDirectories(logDirectory);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the Kafka data directory " + logDirectory + ": " + e.getMessage()
                    + ". Choose a writable directory with --data-dir", e);
        }
        // Kafka halts the JVM when a second broker finds its directory locked, so we check first.
        DirectoryLock lock = DirectoryLock.acquire(settings.dataDirectory().toAbsolutePath().resolve("broker.lock"));
        KafkaRaftServer server;
        int port;
        try {
            port = settings.port() == 0 ? freePort(settings.host()) : requireFree(settings.host(), settings.port(), "--port");
            int controllerPort = settings.controllerPort() == 0 ? freePort(settings.host())
                    : requireFree(settings.host(), settings.controllerPort(), "--controller-port");
            Properties properties = brokerProperties(settings, port, controllerPort, logDirectory);
            formatIfNew(logDirectory, properties, settings.dataDirectory(),
                    settings.quorum() == null ? Uuid.randomUuid().toString() : settings.quorum().clusterId());
            try {
                server = new KafkaRaftServer(KafkaConfig.fromProps(properties, false), Time.SYSTEM);
                server.startup();
            } catch (RuntimeException e) {
                throw translate(e, logDirectory);
            }
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(settings, port, server, lock);
        try {
            broker.awaitReady();
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        log.info("Kafka broker ready at {} (data in {})", broker.bootstrapServers(), logDirectory);
        return broker;
    }

    /** {@code host:port} for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return settings.host() + ":" + port;
    }

    public Path dataDirectory() {
        return settings.dataDirectory();
    }

    /** Stops the broker and waits for it; the data stays for the next start. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.shutdown();
            server.awaitShutdown();
        } finally {
            lock.close();
        }
        log.info("Kafka broker at {} stopped", bootstrapServers());
    }

    private void awaitReady() {
        Map<String, Object> config = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000,
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 10_000);
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(config)) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(10, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (e instanceof InterruptedException) {
                        Thread.currentThread().interrupt();
                        throw new KafkaException("interrupted while waiting for the embedded broker", e);
                    }
                    if (System.nanoTime() > deadline) {
                        throw new KafkaException("the embedded Kafka broker at " + bootstrapServers() + " did not become ready within "
                                + READY_TIMEOUT.toSeconds() + " s: " + e.getMessage(), e);
                    }
                }
                Thread.sleep(100);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("interrupted while waiting for the embedded broker", e);
        }
    }

    private static Properties brokerProperties(EmbeddedKafkaSettings settings, int port, int controllerPort, Path logDirectory) {
        String host = settings.host();
        EmbeddedKafkaSettings.Quorum quorum = settings.quorum();
        int nodeId = quorum == null ? 1 : quorum.nodeId();
        // Three or more nodes: three replicas, two in sync before a write is acknowledged; fewer: as many replicas as nodes and one
        // in sync, so that one node down does not stop writes (the rule of the ASR topics, TopicProvisioner.Replication).
        int replicas = quorum == null ? 1 : Math.min(3, quorum.size());
        String inSync = replicas >= 3 ? "2" : "1";
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(nodeId));
        p.put("controller.quorum.voters", quorum == null ? nodeId + "@" + host + ":" + controllerPort : quorum.voters());
        p.put("listeners", "PLAINTEXT://" + host + ":" + port + ",CONTROLLER://" + host + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + host + ":" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDirectory.toString());
        // Internal topics, and topics created without a replication factor (Kafka Streams' own), replicated as the cluster allows.
        p.put("default.replication.factor", Integer.toString(replicas));
        p.put("min.insync.replicas", inSync);
        p.put("offsets.topic.replication.factor", Integer.toString(replicas));
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.replication.factor", Integer.toString(replicas));
        p.put("transaction.state.log.min.isr", inSync);
        p.put("transaction.state.log.num.partitions", "10");
        p.put("share.coordinator.state.topic.replication.factor", Integer.toString(replicas));
        p.put("share.coordinator.state.topic.min.isr", inSync);
        p.put("group.initial.rebalance.delay.ms", "0");
        // Topics are created on purpose (the catalogue, Streams' internal topics); a typo must not create one.
        p.put("auto.create.topics.enable", "false");
        // Laptop sizing: the cleaner's default 128 MiB dedupe buffer dwarfs everything else here.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
        p.put("num.network.threads", "2");
        p.put("num.io.threads", "4");
        p.put("num.recovery.threads.per.data.dir", "2");
        return p;
    }

    private static void formatIfNew(Path logDirectory, Properties properties, Path dataDirectory, String clusterId) {
        if (Files.exists(logDirectory.resolve("meta.properties"))) {
            return;
        }
        Path configFile = logDirectory.resolveSibling("kafka-server.properties");
        try (Writer out = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
            properties.store(out, "Written by asr to format the embedded broker's storage");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + configFile + ": " + e.getMessage(), e);
        }
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        int exitCode;
        try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
            exitCode = StorageTool.execute(new String[] {
                "format", "--cluster-id", clusterId, "--config", configFile.toString(), "--ignore-formatted"
            }, print);
        } catch (RuntimeException e) {
            throw new KafkaException("cannot format Kafka storage in " + logDirectory + ": " + e.getMessage()
                    + ". If the directory holds data from another Kafka, choose another --data-dir", e);
        }
        if (exitCode != 0) {
            throw new KafkaException("formatting Kafka storage in " + logDirectory + " failed (exit " + exitCode + "): "
                    + output.toString(StandardCharsets.UTF_8).trim() + ". Choose another --data-dir than " + dataDirectory);
        }
        log.info("Formatted Kafka storage in {}", logDirectory);
    }

    private static RuntimeException translate(RuntimeException e, Path logDirectory) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String message = String.valueOf(t.getMessage());
            if (message.contains("Invalid cluster.id") || message.contains("meta.properties")) {
                return new KafkaException("the Kafka data directory " + logDirectory + " does not match this broker: "
                        + message + ". Pass a fresh --data-dir, or delete that directory to start over", e);
            }
        }
        return new KafkaException("the embedded Kafka broker failed to start: " + e.getMessage(), e);
    }

    private static int requireFree(String host, int port, String flag) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, port));
            return port;
        } catch (IOException e) {
            throw new KafkaException("port " + port + " on " + host + " is in use (" + e.getMessage()
                    + "): is another Kafka or ./asr demo running? Stop it, or pass another " + flag);
        }
    }

    /** A TCP port free on {@code host} now (another process may take it before it is bound). */
    public static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.bind(new InetSocketAddress(host, 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host + ": " + e.getMessage(), e);
        }
    }
}
