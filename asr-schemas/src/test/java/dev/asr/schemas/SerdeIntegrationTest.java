package dev.asr.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.serde.BadRecordException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SpendEvents and OutcomeEvents through the serde, the catalogue and a real broker, back equal. */
class SerdeIntegrationTest {

    @TempDir
    Path registryDirectory;

    private Topics topics(String suffix) {
        TopicNames names = new TopicNames("spend-" + suffix, "outcomes-" + suffix, "metrics-" + suffix,
                "transitions-" + suffix, "dlq-" + suffix);
        return Topics.create(names, new EmbeddedSchemaRegistry(registryDirectory));
    }

    @Test
    void spendAndOutcomeEventsComeBackEqualAndKeyedByAgent() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        Topics topics = topics(UUID.randomUUID().toString());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            assertThat(new TopicProvisioner(admin).ensure(topics, 3, (short) 1)).hasSize(5);
        }
        List<SpendEvent> spend = IntStream.range(0, 300).mapToObj(SampleEvents::spend).toList();
        List<OutcomeEvent> outcomes = IntStream.range(0, 100).mapToObj(SampleEvents::outcome).toList();
        KafkaRoundTrip.produce(bootstrap, topics.spend(), spend, SpendEvent::getAgentId);
        KafkaRoundTrip.produce(bootstrap, topics.outcomes(), outcomes, OutcomeEvent::getAgentId);

        // A second catalogue with a fresh registry client: ids resolve through the registry, not a cache.
        Topics reader = Topics.create(TopicNames.from(Map.of(
                "asr.topic.spend", topics.spend().name(), "asr.topic.outcomes", topics.outcomes().name())),
                new EmbeddedSchemaRegistry(registryDirectory));
        List<ConsumerRecord<String, SpendEvent>> spendRead = KafkaRoundTrip.consume(bootstrap, reader.spend(), 300);
        List<ConsumerRecord<String, OutcomeEvent>> outcomesRead = KafkaRoundTrip.consume(bootstrap, reader.outcomes(), 100);

        assertThat(spendRead).extracting(ConsumerRecord::value).containsExactlyInAnyOrderElementsOf(spend);
        assertThat(outcomesRead).extracting(ConsumerRecord::value).containsExactlyInAnyOrderElementsOf(outcomes);
        assertThat(spendRead).allSatisfy(r -> assertThat(r.key()).isEqualTo(r.value().getAgentId()));
        // Co-partitioned: an agent's spend and outcomes sit in the same partition number.
        Map<String, Integer> spendPartition = new java.util.HashMap<>();
        spendRead.forEach(r -> spendPartition.put(r.key(), r.partition()));
        assertThat(outcomesRead).allSatisfy(r -> assertThat(r.partition()).isEqualTo(spendPartition.get(r.key())));
    }

    @Test
    void aGarbledRecordOnTheBrokerFailsWithAMessageNamingTheProblem() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        Topics topics = topics(UUID.randomUUID().toString());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            new TopicProvisioner(admin).ensure(topics, 1, (short) 1);
        }
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(topics.spend().name(), "a".getBytes(), "{\"cost\": 1}".getBytes())).get();
        }
        assertThatThrownBy(() -> KafkaRoundTrip.consume(bootstrap, topics.spend(), 1))
                .isInstanceOf(KafkaException.class)
                .rootCause()
                .isInstanceOf(BadRecordException.class)
                .hasMessageContaining("record on topic '" + topics.spend().name() + "' starts with byte 0x7b");
    }

    @Test
    void refusesInputTopicsThatAreNotCoPartitioned() throws Exception {
        String bootstrap = TestKafka.bootstrapServers();
        Topics topics = topics(UUID.randomUUID().toString());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            admin.createTopics(List.of(new NewTopic(topics.outcomes().name(), 2, (short) 1))).all().get();
            assertThatThrownBy(() -> new TopicProvisioner(admin).ensure(topics, 3, (short) 1))
                    .isInstanceOf(KafkaException.class)
                    .hasMessageContaining("topic '" + topics.spend().name() + "' has 3 partitions but '"
                            + topics.outcomes().name() + "' has 2: they must match")
                    .hasMessageContaining("--alter --partitions");
        }
    }
}
