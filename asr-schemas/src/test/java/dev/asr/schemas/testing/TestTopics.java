package dev.asr.schemas.testing;

import dev.asr.schemas.TopicNames;
import dev.asr.schemas.TopicProvisioner;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.SchemaRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Topics for one integration test on a shared broker: names of its own (so tests never read each
 * other's records), created with one replica. Shipped in asr-schemas' test-jar for every module.
 */
public final class TestTopics {

    private TestTopics() {}

    /** Names no other test uses: {@code spend-1a2b3c4d}, {@code outcomes-1a2b3c4d}... */
    public static TopicNames fresh() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        return new TopicNames("spend-" + run, "outcomes-" + run, "metrics-" + run, "transitions-" + run, "dlq-" + run);
    }

    /** Creates the topics (those missing) on the broker, each with {@code partitions} and one replica. */
    public static Topics create(String bootstrapServers, TopicNames names, SchemaRegistry registry, int partitions) throws Exception {
        Topics topics = Topics.create(names, registry);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrapServers))) {
            new TopicProvisioner(admin).ensure(topics, partitions, (short) 1);
        }
        return topics;
    }

    /** Every record a topic holds now, key and value as bytes (a tombstone's value null): from the start to the end offsets. */
    public static List<ConsumerRecord<byte[], byte[]>> records(String bootstrapServers, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end offsets " + end + " in 60 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
            return records;
        }
    }
}
