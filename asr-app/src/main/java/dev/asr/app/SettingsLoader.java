package dev.asr.app;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * Gathers a service's settings: a properties file, then environment variables, then command-line
 * flags, each overriding the one before.
 *
 * <p>Environment: a key's variable is {@code ASR_} plus the key in upper case with dots and dashes
 * as underscores, the {@code asr.} prefix dropped ({@code schema.registry.url} →
 * {@code ASR_SCHEMA_REGISTRY_URL}, {@code asr.topic.spend} → {@code ASR_TOPIC_SPEND}). Any Kafka
 * client setting can be given as {@code ASR_KAFKA_} plus its name ({@code ASR_KAFKA_SASL_JAAS_CONFIG}
 * → {@code sasl.jaas.config}).
 */
final class SettingsLoader {

    /** Keys with an environment variable of their own; Kafka client keys go through ASR_KAFKA_*. */
    static final List<String> KNOWN_KEYS = List.of(
            "bootstrap.servers",
            "schema.registry.url",
            "schema.registry.basic.auth.user.info",
            "schema.registry.auto.register",
            "schema.registry.timeout.ms",
            "asr.topic.spend",
            "asr.topic.outcomes",
            "asr.topic.agent-metrics",
            "asr.topic.band-transitions",
            "asr.topic.dlq",
            "asr.currency",
            "asr.bucket",
            "asr.grace",
            "asr.views",
            "asr.band.view",
            "asr.band.assisted-from",
            "asr.band.self-directed-from",
            "asr.band.hysteresis",
            "asr.band.min-tasks",
            "asr.task.timeout",
            "asr.task.settled-retention",
            "asr.dedup.retention",
            "asr.max-clock-skew",
            "asr.wall-clock.interval",
            "asr.fleet.max-wait",
            "asr.fleet.start-wait",
            "asr.rocksdb.memory",
            "asr.streams.metrics-port",
            "asr.exporter.port",
            "asr.exporter.agent-ttl",
            "asr.exporter.per-agent",
            "asr.exporter.max-agents",
            "asr.exporter.counter-view",
            "asr.exporter.agent-windows",
            "asr.ingest.port",
            "asr.ingest.tokens-file",
            "asr.ingest.max-body",
            "asr.ingest.retry-after",
            "asr.ingest.threads",
            "asr.client.capacity",
            "asr.client.when-full",
            "asr.client.block-timeout",
            "asr.streams.host",
            "asr.streams.advertised-host",
            "asr.ingest.state-url",
            "asr.otel.prices-file",
            "asr.otel.litellm-prices",
            "asr.otel.genai-prices",
            "asr.otel.assume-outcomes",
            "asr.otel.task-from-conversation",
            "asr.otel.decode-budget",
            "asr.otel.wait",
            "asr.otel.max-waiting-spans",
            "asr.otel.max-waiting-bytes",
            "asr.otel.max-remembered",
            "asr.otel.waiting-topic",
            "asr.exporter.host",
            "asr.exporter.threads",
            "asr.ingest.host",
            "asr.ingest.max-requests",
            "asr.ingest.max-requests-per-token",
            "asr.ingest.body-timeout",
            "asr.allowance.hold-time",
            "asr.allowance.policy-file",
            "asr.allowance.metrics-max-agents",
            "asr.allowance.max-remembered",
            "asr.allowance.advertised-url",
            "asr.allowance.group",
            "asr.allowance.session-timeout",
            "asr.topic.decisions",
            "asr.topic.allowance-events");

    private static final String KAFKA_PREFIX = "ASR_KAFKA_";

    private SettingsLoader() {}

    static Map<String, String> load(Path file, Map<String, String> environment, Map<String, String> flags) {
        Map<String, String> settings = new LinkedHashMap<>();
        if (file != null) {
            settings.putAll(read(file));
        }
        for (String key : KNOWN_KEYS) {
            String value = environment.get(environmentName(key));
            if (value != null) {
                settings.put(key, value);
            }
        }
        environment.forEach((name, value) -> {
            if (name.startsWith(KAFKA_PREFIX) && name.length() > KAFKA_PREFIX.length()) {
                settings.put(name.substring(KAFKA_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        flags.forEach((key, value) -> {
            if (value != null) {
                settings.put(key, value);
            }
        });
        return settings;
    }

    static String environmentName(String key) {
        String stripped = key.startsWith("asr.") ? key.substring(4) : key;
        return "ASR_" + stripped.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The settings meant for Kafka clients: everything but ASR's own and the registry's. */
    static Map<String, Object> kafkaClientConfig(Map<String, String> settings) {
        Map<String, Object> config = new LinkedHashMap<>();
        settings.forEach((key, value) -> {
            if (!key.startsWith("asr.") && !key.startsWith("schema.registry.")) {
                config.put(key, value);
            }
        });
        if (!config.containsKey("bootstrap.servers")) {
            throw new IllegalArgumentException("bootstrap.servers is not set: pass --bootstrap-servers, set ASR_BOOTSTRAP_SERVERS,"
                    + " or put bootstrap.servers in the --config file");
        }
        return config;
    }

    private static Map<String, String> read(Path file) {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("config file " + file.toAbsolutePath() + " does not exist: check --config");
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read config file " + file.toAbsolutePath() + ": " + e.getMessage()
                    + ". It must be a Java properties file (key=value lines)");
        }
        Map<String, String> settings = new LinkedHashMap<>();
        properties.stringPropertyNames().forEach(key -> settings.put(key.trim(), properties.getProperty(key).trim()));
        return settings;
    }
}
