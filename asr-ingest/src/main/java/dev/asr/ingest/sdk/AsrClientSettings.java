package dev.asr.ingest.sdk;

import dev.asr.schemas.SettingValues;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.rules.EventRules;
import dev.asr.schemas.registry.RegistrySettings;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * How an {@link AsrClient} reaches Kafka and what it does when Kafka falls behind.
 *
 * @param kafka Kafka producer settings: {@code bootstrap.servers}, security... ({@code acks=all} and
 *     idempotence are always on)
 * @param registry where schemas are registered
 * @param topics the topic names
 * @param capacity most events sent but not yet acknowledged by Kafka ({@code asr.client.capacity},
 *     100000)
 * @param whenFull {@link WhenFull#BLOCK} waits up to {@code blockTimeout} for room; {@link
 *     WhenFull#FAIL} throws {@link BufferFullException} at once ({@code asr.client.when-full}, block)
 * @param blockTimeout how long a send may wait for room ({@code asr.client.block-timeout}, 5s)
 * @param currency the deployment's currency, stamped on spend ({@code asr.currency}, USD)
 * @param clock where event times come from
 */
public record AsrClientSettings(Map<String, Object> kafka, RegistrySettings registry, TopicNames topics, int capacity,
        WhenFull whenFull, Duration blockTimeout, String currency, Clock clock) {

    public enum WhenFull {
        BLOCK,
        FAIL
    }

    public AsrClientSettings {
        kafka = Map.copyOf(kafka);
        if (!kafka.containsKey("bootstrap.servers")) {
            throw new IllegalArgumentException("the ASR client needs bootstrap.servers");
        }
        if (capacity < 1) {
            throw new IllegalArgumentException("asr.client.capacity must be at least 1, got " + capacity);
        }
    }

    /** Settings from {@code asr.client.*}, {@code asr.topic.*}, {@code schema.registry.*} and Kafka producer keys. */
    public static AsrClientSettings from(Map<String, String> settings) {
        Map<String, Object> kafka = new HashMap<>();
        settings.forEach((key, value) -> {
            if (!key.startsWith("asr.") && !key.startsWith("schema.registry.")) {
                kafka.put(key, value);
            }
        });
        String whenFull = settings.getOrDefault("asr.client.when-full", "block").trim().toUpperCase();
        if (!whenFull.equals("BLOCK") && !whenFull.equals("FAIL")) {
            throw new IllegalArgumentException("asr.client.when-full='" + whenFull.toLowerCase() + "' must be block or fail");
        }
        return new AsrClientSettings(kafka, RegistrySettings.from(settings), TopicNames.from(settings),
                SettingValues.integer(settings, "asr.client.capacity", 100_000), WhenFull.valueOf(whenFull),
                SettingValues.duration(settings, "asr.client.block-timeout", "5s"), EventRules.from(settings).currency(),
                Clock.systemUTC());
    }

    /** The defaults, for a cluster and a registry. */
    public static AsrClientSettings of(String bootstrapServers, RegistrySettings registry) {
        return new AsrClientSettings(Map.of("bootstrap.servers", bootstrapServers), registry, TopicNames.DEFAULTS, 100_000,
                WhenFull.BLOCK, Duration.ofSeconds(5), EventRules.DEFAULT_CURRENCY, Clock.systemUTC());
    }

    public AsrClientSettings withCapacity(int newCapacity, WhenFull policy, Duration timeout) {
        return new AsrClientSettings(kafka, registry, topics, newCapacity, policy, timeout, currency, clock);
    }

    public AsrClientSettings withKafka(Map<String, Object> more) {
        Map<String, Object> merged = new HashMap<>(kafka);
        merged.putAll(more);
        return new AsrClientSettings(merged, registry, topics, capacity, whenFull, blockTimeout, currency, clock);
    }

    public AsrClientSettings withTopics(TopicNames names) {
        return new AsrClientSettings(kafka, registry, names, capacity, whenFull, blockTimeout, currency, clock);
    }

    public AsrClientSettings withClock(Clock newClock) {
        return new AsrClientSettings(kafka, registry, topics, capacity, whenFull, blockTimeout, currency, newClock);
    }
}
