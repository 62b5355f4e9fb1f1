package dev.asr.app;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** How a command reaches an existing Kafka cluster and schema registry. */
final class ClusterOptions {

    @Option(names = "--config", paramLabel = "FILE",
            description = "Properties file: bootstrap.servers, security settings, schema.registry.*, asr.topic.*.")
    Path configFile;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT,...", description = "Kafka bootstrap servers (overrides the file and ASR_BOOTSTRAP_SERVERS).")
    String bootstrapServers;

    @Option(names = "--schema-registry-url", paramLabel = "URL",
            description = "Schema registry: http(s)://host:port, or embedded:<dir> for the embedded one (overrides ASR_SCHEMA_REGISTRY_URL).")
    String schemaRegistryUrl;

    Map<String, String> settings() {
        Map<String, String> flags = new HashMap<>();
        flags.put("bootstrap.servers", bootstrapServers);
        flags.put("schema.registry.url", schemaRegistryUrl);
        return SettingsLoader.load(configFile, System.getenv(), flags);
    }

    static Map<String, Object> kafkaClientConfig(Map<String, String> settings) {
        return SettingsLoader.kafkaClientConfig(settings);
    }
}
