package dev.asr.embedded;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.testing.TestKafka;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/** The Testcontainers path of {@link TestKafka}: runs where a Docker engine does, skipped cleanly elsewhere. */
@Testcontainers(disabledWithoutDocker = true)
class TestcontainersKafkaIntegrationTest {

    @Container
    static final KafkaContainer KAFKA = new KafkaContainer(TestKafka.KAFKA_IMAGE);

    @Test
    void roundTripsARecordThroughTheContainerBroker() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KAFKA.getBootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic("container-round-trip", 1, (short) 1))).all().get();
        }
        try (KafkaProducer<String, String> producer = EmbeddedKafkaBrokerIntegrationTest.producer(KAFKA.getBootstrapServers())) {
            producer.send(new ProducerRecord<>("container-round-trip", "agent-1", "hello")).get();
        }
        List<ConsumerRecord<String, String>> records =
                EmbeddedKafkaBrokerIntegrationTest.readAll(KAFKA.getBootstrapServers(), "container-round-trip", 1);
        assertThat(records).singleElement().satisfies(record -> assertThat(record.value()).isEqualTo("hello"));
    }
}
