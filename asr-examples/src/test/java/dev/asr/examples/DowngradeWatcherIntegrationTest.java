package dev.asr.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.Direction;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The two example subscribers, Java and Python (Debian's python3-confluent-kafka and python3-avro,
 * as the README tells users), against a real broker and real Avro bytes: of a RATED, an UP and a
 * DOWN move (the DOWN one sent twice, as a producer retry could), each acts on the DOWN move once.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DowngradeWatcherIntegrationTest {

    private static final Path PYTHON = Path.of("/usr/bin/python3");

    private Path directory;
    private String bootstrap;
    private TopicNames names;
    private String registryUrl;

    @BeforeAll
    void publishMoves() throws Exception {
        bootstrap = TestKafka.bootstrapServers();
        directory = TestKafka.temporaryDirectory("asr-downgrade-watcher-");
        Path schemas = directory.resolve("schemas");
        registryUrl = "embedded:" + schemas;
        names = TestTopics.fresh();
        Topics topics = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(schemas), 2);
        Instant end = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            for (BandTransition move : List.of(
                    move("rated-1", Band.UNRATED, Band.ASSISTED, Direction.RATED, end),
                    move("rising-1", Band.ASSISTED, Band.SELF_DIRECTED, Direction.UP, end),
                    move("falling-1", Band.SELF_DIRECTED, Band.ASSISTED, Direction.DOWN, end),
                    move("falling-1", Band.SELF_DIRECTED, Band.ASSISTED, Direction.DOWN, end))) {
                byte[] value = topics.bandTransitions().valueSerde().serializer().serialize(names.bandTransitions(), move);
                producer.send(new ProducerRecord<>(names.bandTransitions(), move.getAgentId(), value)).get();
            }
        }
    }

    @AfterAll
    void cleanUp() {
        TestKafka.deleteRecursively(directory);
    }

    private static BandTransition move(String agent, Band from, Band to, Direction direction, Instant end) {
        return BandTransition.newBuilder().setTransitionId(agent + "@" + end.toEpochMilli()).setAgentId(agent).setFleet("trading")
                .setFromBand(from).setToBand(to).setDirection(direction).setAsr(0.42).setSettledTasks(12).setSpendMicros(1_000_000)
                .setAutonomousSpendMicros(420_000).setWindow("1h").setWindowStart(end.minus(1, ChronoUnit.HOURS)).setWindowEnd(end)
                .setOccurredAt(end).build();
    }

    @Test
    void theJavaWatcherActsOnceOnTheDownMoveOnly() throws Exception {
        List<BandTransition> acted = new CopyOnWriteArrayList<>();
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try (DowngradeWatcher watcher = new DowngradeWatcher(Map.of("bootstrap.servers", bootstrap), "java-" + UUID.randomUUID(),
                names.bandTransitions(), new EmbeddedSchemaRegistry(directory.resolve("schemas")), acted::add,
                new PrintStream(printed, true, StandardCharsets.UTF_8))) {
            Thread thread = new Thread(watcher, "watcher");
            thread.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (acted.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(2_000); // time to act on a duplicate, if it were going to
            watcher.close();
            thread.join(10_000);
        }
        assertThat(acted).extracting(BandTransition::getAgentId).containsExactly("falling-1");
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains("DOWN falling-1 (fleet trading): SELF_DIRECTED -> ASSISTED, ASR 0.42"
                + " over 1h with 12 settled tasks");
    }

    @Test
    void thePythonWatcherActsOnceOnTheDownMoveOnly() throws Exception {
        assertThat(PYTHON).as("the system Python (.ci/run installs python3-confluent-kafka and python3-avro)").exists();
        Path log = directory.resolve("python.log");
        Process python = new ProcessBuilder(PYTHON.toString(), Path.of("python", "downgrade_watcher.py").toString(), bootstrap, registryUrl,
                "--topic", names.bandTransitions(), "--group", "py-" + UUID.randomUUID(), "--idle-exit", "5")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertThat(python.waitFor(90, TimeUnit.SECONDS)).as("ends 5 s after the last record; log:%n%s", Files.readString(log)).isTrue();
        String output = Files.readString(log);
        assertThat(python.exitValue()).as(output).isZero();
        assertThat(output.lines().filter(line -> line.startsWith("DOWN ")).toList()).as(output).containsExactly(
                "DOWN falling-1 (fleet trading): SELF_DIRECTED -> ASSISTED, ASR 0.42 over 1h with 12 settled tasks: cutting its"
                        + " allowance to the ASSISTED band's");
    }
}
