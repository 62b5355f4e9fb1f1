package dev.asr.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.embedded.testing.TestKafka;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EmbeddedKafkaBrokerIntegrationTest {

    private final Path directory = TestKafka.temporaryDirectory("asr-broker-test-");

    @AfterEach
    void deleteData() {
        TestKafka.deleteRecursively(directory);
    }

    @Test
    void keepsTopicsAndRecordsAcrossARestartOnTheSameDataDirectory() throws Exception {
        EmbeddedKafkaSettings settings = new EmbeddedKafkaSettings(directory, "localhost", 0, 0);
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings)) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("kept", 2, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer = producer(broker.bootstrapServers())) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("kept", "agent-" + (i % 3), "record-" + i)).get();
                }
            }
        }

        try (EmbeddedKafkaBroker restarted = EmbeddedKafkaBroker.start(settings)) {
            List<String> values = new ArrayList<>();
            for (ConsumerRecord<String, String> record : readAll(restarted.bootstrapServers(), "kept", 10)) {
                values.add(record.value());
            }
            assertThat(values).hasSize(10).containsExactlyInAnyOrder(
                    "record-0", "record-1", "record-2", "record-3", "record-4",
                    "record-5", "record-6", "record-7", "record-8", "record-9");
        }
    }

    @Test
    void saysWhichPortIsTakenAndWhichFlagChangesIt() throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress("localhost", 0));
            EmbeddedKafkaSettings settings = new EmbeddedKafkaSettings(directory, "localhost", taken.getLocalPort(), 0);
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(settings))
                    .isInstanceOf(KafkaException.class)
                    .hasMessageContaining("port " + taken.getLocalPort() + " on localhost is in use")
                    .hasMessageContaining("--port");
        }
    }

    @Test
    void refusesADataDirectoryAnotherBrokerIsUsing() {
        try (EmbeddedKafkaBroker first = EmbeddedKafkaBroker.start(new EmbeddedKafkaSettings(directory, "localhost", 0, 0))) {
            assertThatThrownBy(() -> EmbeddedKafkaBroker.start(new EmbeddedKafkaSettings(directory, "localhost", 0, 0)))
                    .isInstanceOf(KafkaException.class)
                    .hasMessageContaining("is in use by another broker")
                    .hasMessageContaining("--data-dir");
            assertThat(first.bootstrapServers()).isNotBlank();
        }
    }

    static KafkaProducer<String, String> producer(String bootstrapServers) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
    }

    static List<ConsumerRecord<String, String>> readAll(String bootstrapServers, String topic, int expected) {
        List<ConsumerRecord<String, String>> records = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG, "test-" + System.nanoTime(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (records.size() < expected && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(records::add);
            }
        }
        return records;
    }
}
