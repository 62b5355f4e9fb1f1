package dev.asr.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.EmbeddedKafkaBroker;
import dev.asr.embedded.EmbeddedKafkaSettings;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default keeps its data: broker and registry restarted on the same directory. */
class BrokerRestartIntegrationTest {

    @TempDir
    Path dataDirectory;

    @Test
    void eventsWrittenBeforeARestartReadBackEqualAfterIt() throws Exception {
        EmbeddedKafkaSettings settings = new EmbeddedKafkaSettings(dataDirectory, "localhost", 0, 0);
        RegistrySettings registry = RegistrySettings.embedded(dataDirectory.resolve("schemas"));
        List<SpendEvent> spend = IntStream.range(0, 120).mapToObj(SampleEvents::spend).toList();
        List<OutcomeEvent> outcomes = IntStream.range(0, 40).mapToObj(SampleEvents::outcome).toList();

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings);
             SchemaRegistry schemas = registry.open()) {
            Topics topics = Topics.create(TopicNames.DEFAULTS, schemas);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                new TopicProvisioner(admin).ensure(topics, 2, (short) 1);
            }
            KafkaRoundTrip.produce(broker.bootstrapServers(), topics.spend(), spend, SpendEvent::getAgentId);
            KafkaRoundTrip.produce(broker.bootstrapServers(), topics.outcomes(), outcomes, OutcomeEvent::getAgentId);
        }

        try (EmbeddedKafkaBroker restarted = EmbeddedKafkaBroker.start(settings);
             SchemaRegistry schemas = registry.open()) {
            Topics topics = Topics.create(TopicNames.DEFAULTS, schemas);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", restarted.bootstrapServers()))) {
                assertThat(new TopicProvisioner(admin).ensure(topics, 2, (short) 1)).as("topics kept").isEmpty();
            }
            assertThat(KafkaRoundTrip.consume(restarted.bootstrapServers(), topics.spend(), 120))
                    .extracting(ConsumerRecord::value).containsExactlyInAnyOrderElementsOf(spend);
            assertThat(KafkaRoundTrip.consume(restarted.bootstrapServers(), topics.outcomes(), 40))
                    .extracting(ConsumerRecord::value).containsExactlyInAnyOrderElementsOf(outcomes);
        }
    }
}
