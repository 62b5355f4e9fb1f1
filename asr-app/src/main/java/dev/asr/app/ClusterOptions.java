package dev.asr.app;

import dev.asr.schemas.TopicProvisioner;
import dev.asr.schemas.Topics;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Option;

/** How a command reaches an existing Kafka cluster and schema registry, and whether it creates the topics. */
final class ClusterOptions {

    private static final Logger log = LoggerFactory.getLogger(ClusterOptions.class);

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file: bootstrap.servers, security settings, schema.registry.*, asr.topic.*.")
    Path configFile;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...", description = "Kafka bootstrap servers (overrides the file and ASR_BOOTSTRAP_SERVERS).")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Schema registry: http(s)://host:port, or embedded:<dir> for the embedded one (overrides ASR_SCHEMA_REGISTRY_URL).")
    String schemaRegistryUrl;

    @Option(names = "--create-topics", paramLabel = "PARTITIONS",
            description = "Create missing ASR topics with this many partitions (replication factor min(3, brokers);"
                    + " min.insync.replicas 2 with three or more).")
    Integer createTopicsPartitions;

    Map<String, String> settings() {
        return settings(Map.of());
    }

    /** The settings, with a command's own flags (null values: not given) overriding everything else. */
    Map<String, String> settings(Map<String, String> commandFlags) {
        Map<String, String> flags = new HashMap<>(commandFlags);
        flags.put("bootstrap.servers", bootstrapServers);
        flags.put("schema.registry.url", schemaRegistryUrl);
        return SettingsLoader.load(configFile, System.getenv(), flags);
    }

    /**
     * Creates the missing topics when --create-topics says so; with {@code verify}, then checks that
     * every topic exists and the inputs are co-partitioned.
     */
    void provisionTopics(Map<String, Object> clientConfig, Topics topics, boolean verify) throws Exception {
        if (createTopicsPartitions == null && !verify) {
            return;
        }
        try (Admin admin = Admin.create(clientConfig)) {
            TopicProvisioner provisioner = new TopicProvisioner(admin);
            if (createTopicsPartitions != null) {
                int brokers = admin.describeCluster().nodes().get().size();
                TopicProvisioner.Replication replication = TopicProvisioner.Replication.forCluster(brokers);
                List<String> created = provisioner.ensure(topics, createTopicsPartitions, replication.factor());
                if (!created.isEmpty()) {
                    log.info("Created {} with {} partitions each, {}", created, createTopicsPartitions, replication.describe(brokers));
                }
            }
            if (verify) {
                provisioner.verify(topics);
            }
        }
    }
}
