package dev.asr.app;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.schemas.Topic;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.ops.Reachability;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.serde.RecordJson;
import dev.asr.streams.processor.DeadLetters;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.avro.generic.IndexedRecord;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Prints an ASR topic's records as JSON lines, decoded with the configured registry (the embedded
 * one included), for people and for {@code jq}. Without a cluster given it reads the demo's.
 */
@Command(name = "tail", mixinStandardHelpOptions = true,
        description = {"Print an ASR topic's records as JSON lines, one per record, decoded with the schema registry: spend, outcomes,"
                + " agent-metrics, band-transitions or dlq (or the topic's full name).",
            "Without --bootstrap-servers/--config it reads the running demo's (localhost:9092, schemas in .asr/demo/schemas)."})
final class TailCommand implements Callable<Integer> {

    /** The demo's, used when neither a flag, the file nor the environment names a cluster. */
    static final String DEMO_BOOTSTRAP = "localhost:9092";
    static final String DEMO_REGISTRY = "embedded:" + Path.of(".asr", "demo", "schemas");

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "TOPIC",
            description = "spend, outcomes, agent-metrics, band-transitions, dlq, or a topic name (asr.topic.* apply)")
    String topic;

    @Option(names = "--from-beginning", description = "Start at the oldest record kept, not at the end")
    boolean fromBeginning;

    @Option(names = "--agent", paramLabel = "AGENT_ID", description = "Only records of this agent (agent_id)")
    String agent;

    @Option(names = "--fleet", paramLabel = "FLEET", description = "Only records of this fleet")
    String fleet;

    @Option(names = "--max", paramLabel = "N", description = "Stop after printing N records (default: until Ctrl-C)")
    Long max;

    @Option(names = "--idle-exit", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "Stop once no record came for this long, e.g. 5s (default: wait for more)")
    Duration idleExit;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> settings = new HashMap<>(cluster.settings());
        if (settings.get("bootstrap.servers") == null) {
            settings.put("bootstrap.servers", DEMO_BOOTSTRAP);
            if (settings.get("schema.registry.url") == null) {
                settings.put("schema.registry.url", DEMO_REGISTRY);
            }
        }
        if (settings.get("schema.registry.url") == null && Files.isDirectory(Path.of(".asr", "demo", "schemas"))) {
            settings.put("schema.registry.url", DEMO_REGISTRY);
        }
        Map<String, Object> clientConfig = SettingsLoader.kafkaClientConfig(settings);
        Lifetime lifetime = new Lifetime();
        try (SchemaRegistry registry = RegistrySettings.from(settings).open();
             Reachability reach = new Reachability("asr tail", clientConfig, registry).start()) {
            Topics topics = Topics.create(TopicNames.from(settings), registry);
            Topic<?, ?> chosen = choose(topics, topic);
            if (!lifetime.awaitReached(reach, null)) {
                return 0;
            }
            Map<String, Object> config = new HashMap<>(clientConfig);
            config.remove(ConsumerConfig.GROUP_ID_CONFIG);
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "asr-tail");
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                List<PartitionInfo> infos = consumer.partitionsFor(chosen.name(), Duration.ofSeconds(10));
                if (infos == null || infos.isEmpty()) {
                    throw new IllegalArgumentException("topic " + chosen.name() + " does not exist on " + clientConfig.get("bootstrap.servers")
                            + ": start asr streams (or asr demo), or check asr.topic.* and --bootstrap-servers");
                }
                List<TopicPartition> partitions = infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                consumer.assign(partitions);
                if (fromBeginning) {
                    consumer.seekToBeginning(partitions);
                } else {
                    consumer.seekToEnd(partitions);
                }
                partitions.forEach(consumer::position);
                Thread closer = new Thread(() -> {
                    try {
                        lifetime.await(null);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    consumer.wakeup();
                }, "asr-tail-stop");
                closer.setDaemon(true);
                closer.start();
                long printed = 0;
                long lastRecord = System.nanoTime();
                try {
                    while (max == null || printed < max) {
                        var records = consumer.poll(Duration.ofMillis(500));
                        if (!records.isEmpty()) {
                            lastRecord = System.nanoTime();
                        } else if (idleExit != null && System.nanoTime() - lastRecord > idleExit.toNanos()) {
                            break;
                        }
                        for (ConsumerRecord<byte[], byte[]> record : records) {
                            ObjectNode line = line(topics, chosen, record);
                            if (line != null && (max == null || printed < max)) {
                                out.println(line);
                                printed++;
                            }
                        }
                        out.flush();
                    }
                } catch (org.apache.kafka.common.errors.WakeupException stopping) {
                    // Ctrl-C.
                }
            }
            return 0;
        } finally {
            lifetime.shutDown();
        }
    }

    /** The topic an alias or name means. */
    static Topic<?, ?> choose(Topics topics, String name) {
        return switch (name) {
            case "spend" -> topics.spend();
            case "outcomes" -> topics.outcomes();
            case "agent-metrics", "metrics" -> topics.agentMetrics();
            case "band-transitions", "transitions" -> topics.bandTransitions();
            case "dlq", "dead-letters" -> topics.deadLetters();
            default -> topics.all().stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("'" + name + "' is not an ASR topic: give spend, outcomes, agent-metrics,"
                            + " band-transitions, dlq, or one of " + topics.all().stream().map(Topic::name).toList()));
        };
    }

    /** The JSON line of a record, or null when the filters leave it out. */
    private ObjectNode line(Topics topics, Topic<?, ?> chosen, ConsumerRecord<byte[], byte[]> record) {
        ObjectNode line = NODES.objectNode().put("topic", record.topic()).put("partition", record.partition()).put("offset", record.offset())
                .put("timestamp", Instant.ofEpochMilli(record.timestamp()).toString());
        line.put("key", record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8));
        Topic<?, ?> valueTopic = chosen;
        if (chosen == topics.deadLetters()) {
            ObjectNode headers = line.putObject("dead_letter");
            for (Header header : record.headers()) {
                if (header.key().startsWith("asr.dlq.")) {
                    headers.put(header.key().substring("asr.dlq.".length()).replace('.', '_'),
                            header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8));
                }
            }
            String source = headers.path(DeadLetters.SOURCE_TOPIC.substring("asr.dlq.".length()).replace('.', '_')).asText(null);
            valueTopic = topics.inputs().stream().filter(t -> t.name().equals(source)).findFirst().orElse(null);
        }
        JsonNode value = decode(valueTopic, record);
        line.set("value", value);
        if (agent != null && !agent.equals(field(value, "agent_id", line.path("key").asText(null)))) {
            return null;
        }
        if (fleet != null && !fleet.equals(field(value, "fleet", null))) {
            return null;
        }
        return line;
    }

    private static String field(JsonNode value, String name, String otherwise) {
        JsonNode field = value.path(name);
        return field.isTextual() ? field.asText() : otherwise;
    }

    private static JsonNode decode(Topic<?, ?> topic, ConsumerRecord<byte[], byte[]> record) {
        if (record.value() == null) {
            return NODES.nullNode();
        }
        if (topic != null) {
            try {
                Object decoded = topic.valueSerde().deserializer().deserialize(record.topic(), record.value());
                if (decoded instanceof IndexedRecord avro) {
                    return RecordJson.of(avro);
                }
            } catch (org.apache.kafka.common.errors.SerializationException e) {
                return NODES.objectNode().put("undecodable", e.getMessage())
                        .put("base64", Base64.getEncoder().encodeToString(record.value()));
            }
        }
        return NODES.objectNode().put("base64", Base64.getEncoder().encodeToString(record.value()));
    }
}
