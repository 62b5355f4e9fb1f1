package dev.asr.schemas;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Writes and reads a typed topic on a real broker, through the topic's own serdes. */
public final class KafkaRoundTrip {

    private KafkaRoundTrip() {}

    public static <V> void produce(String bootstrapServers, Topic<String, V> topic, List<V> values,
            java.util.function.Function<V, String> key) throws Exception {
        try (KafkaProducer<String, V> producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true),
                topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            for (V value : values) {
                producer.send(new ProducerRecord<>(topic.name(), key.apply(value), value));
            }
            producer.flush();
        }
    }

    public static <K, V> List<ConsumerRecord<K, V>> consume(String bootstrapServers, Topic<K, V> topic, int expected) {
        List<ConsumerRecord<K, V>> records = new ArrayList<>();
        try (KafkaConsumer<K, V> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "round-trip-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                topic.keySerde().deserializer(), topic.valueSerde().deserializer())) {
            consumer.subscribe(List.of(topic.name()));
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
