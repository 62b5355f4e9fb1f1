package dev.asr.exporter.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.Direction;
import dev.asr.exporter.state.FleetState;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.registry.SchemaRegistryException;
import dev.asr.schemas.testing.TestTopics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.avro.Schema;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The registry away while transitions arrive: the feed waits for it and then counts every one of
 * them. (It used to re-assign its partitions, which seeks the transitions topic to its end: the
 * transitions written during the outage were never counted.)
 */
class TopicFeedRegistryOutageIntegrationTest {

    /** The embedded registry, answering "cannot reach" while {@code away} is set, as a registry server down would. */
    private record Flaky(SchemaRegistry registry, AtomicBoolean away) implements SchemaRegistry {
        @Override
        public int register(String subject, Schema schema) {
            return registry.register(subject, schema);
        }

        @Override
        public Optional<Schema> schemaById(int id) {
            if (away.get()) {
                throw new SchemaRegistryException("cannot reach the test registry (GET /schemas/ids/" + id + ")", true);
            }
            return registry.schemaById(id);
        }

        @Override
        public String describe() {
            return "the test registry";
        }
    }

    @Test
    void transitionsWrittenWhileTheRegistryIsAwayAreCountedOnceItIsBack() throws Exception {
        Path directory = TestKafka.temporaryDirectory("asr-feed-registry-");
        String bootstrap = TestKafka.bootstrapServers();
        TopicNames names = TestTopics.fresh();
        Topics writer = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(directory.resolve("schemas")), 2);
        AtomicBoolean away = new AtomicBoolean(true);
        Topics reader = Topics.create(names, new Flaky(new EmbeddedSchemaRegistry(directory.resolve("schemas")), away));
        FleetState state = new FleetState("1h", "1m");
        try (TopicFeed feed = new TopicFeed(Map.of("bootstrap.servers", bootstrap), reader, state, Duration.ofMinutes(15))) {
            feed.start();
            await(feed::ready, "the feed is ready");
            Instant end = Instant.now().truncatedTo(ChronoUnit.MINUTES);
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new StringSerializer(),
                    new ByteArraySerializer())) {
                for (int i = 0; i < 6; i++) {
                    BandTransition move = BandTransition.newBuilder().setTransitionId("bot-" + i + "@" + end.toEpochMilli())
                            .setAgentId("bot-" + i).setFleet("ops").setFromBand(Band.SELF_DIRECTED).setToBand(Band.ASSISTED)
                            .setDirection(Direction.DOWN).setAsr(0.4).setSettledTasks(9).setSpendMicros(100).setAutonomousSpendMicros(40)
                            .setWindow("1h").setWindowStart(end.minus(1, ChronoUnit.HOURS)).setWindowEnd(end).setOccurredAt(end).build();
                    producer.send(new ProducerRecord<>(names.bandTransitions(), move.getAgentId(),
                            writer.bandTransitions().valueSerde().serializer().serialize(names.bandTransitions(), move))).get();
                }
            }
            await(() -> feed.problem() != null && feed.problem().contains("cannot reach the test registry"), "the feed names the registry");
            away.set(false);
            await(() -> feed.recordsByTopic().get(names.bandTransitions()) == 6, "all six transitions read");
            assertThat(feed.problem()).isNull();
            state.markShown(List.of("ops"));
            long[] counts = state.transitionCounts().get("ops");
            assertThat(counts[Band.SELF_DIRECTED.ordinal() * Band.values().length + Band.ASSISTED.ordinal()]).isEqualTo(6);
        } finally {
            TestKafka.deleteRecursively(directory);
        }
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 60 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
