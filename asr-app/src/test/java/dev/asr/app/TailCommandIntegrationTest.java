package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.SampleEvents;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import dev.asr.streams.processor.DeadLetters;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import picocli.CommandLine;

/** {@code asr tail} against a real broker and the embedded registry: JSON lines, filters, the dead letters' headers. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TailCommandIntegrationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Path directory;
    private String bootstrap;
    private TopicNames names;
    private Topics topics;
    private Path config;

    @BeforeAll
    void topics() throws Exception {
        bootstrap = TestKafka.bootstrapServers();
        directory = TestKafka.temporaryDirectory("asr-tail-");
        names = TestTopics.fresh();
        topics = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(directory.resolve("schemas")), 2);
        config = directory.resolve("asr.properties");
        Files.writeString(config, String.join("\n", "bootstrap.servers=" + bootstrap,
                "schema.registry.url=embedded:" + directory.resolve("schemas"), "asr.topic.spend=" + names.spend(),
                "asr.topic.outcomes=" + names.outcomes(), "asr.topic.agent-metrics=" + names.agentMetrics(),
                "asr.topic.band-transitions=" + names.bandTransitions(), "asr.topic.dlq=" + names.deadLetters(), ""));
        send(spend("agent-a", "e-1"), spend("agent-b", "e-2"));
        try (KafkaProducer<String, byte[]> producer = producer()) {
            ProducerRecord<String, byte[]> dead = new ProducerRecord<>(names.deadLetters(), "agent-c",
                    topics.spend().valueSerde().serializer().serialize(names.spend(), spend("agent-c", "e-3")));
            dead.headers().add(DeadLetters.REASON, "negative-amount".getBytes(StandardCharsets.UTF_8));
            dead.headers().add(DeadLetters.ERROR, "cost_micros is -5; it must be >= 0".getBytes(StandardCharsets.UTF_8));
            dead.headers().add(DeadLetters.SOURCE_TOPIC, names.spend().getBytes(StandardCharsets.UTF_8));
            producer.send(dead).get();
        }
    }

    @AfterAll
    void cleanUp() {
        TestKafka.deleteRecursively(directory);
    }

    @Test
    void printsEachRecordAsAJsonLineDecodedWithTheRegistryFilteredByAgent() throws Exception {
        List<JsonNode> lines = tail("spend", "--from-beginning", "--agent", "agent-b", "--idle-exit", "3s");
        assertThat(lines).hasSize(1);
        JsonNode line = lines.get(0);
        assertThat(line.path("topic").asText()).isEqualTo(names.spend());
        assertThat(line.path("key").asText()).isEqualTo("agent-b");
        assertThat(line.at("/value/agent_id").asText()).isEqualTo("agent-b");
        assertThat(line.at("/value/event_id").asText()).isEqualTo("e-2");
        assertThat(line.at("/value/kind").asText()).isEqualTo(SampleEvents.spend().getKind().name());
        assertThat(line.at("/value/occurred_at").asText()).isEqualTo(SampleEvents.spend().getOccurredAt().toString());
        assertThat(line.at("/value/cost_micros").asLong()).isEqualTo(SampleEvents.spend().getCostMicros());
        assertThat(tail("spend", "--from-beginning", "--idle-exit", "3s")).hasSize(2);
    }

    @Test
    void deadLettersShowTheirReasonAndTheRecordDecodedWithItsSourceTopic() throws Exception {
        List<JsonNode> lines = tail("dlq", "--from-beginning", "--max", "1");
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0).at("/dead_letter/reason").asText()).isEqualTo("negative-amount");
        assertThat(lines.get(0).at("/dead_letter/error").asText()).isEqualTo("cost_micros is -5; it must be >= 0");
        assertThat(lines.get(0).at("/value/agent_id").asText()).isEqualTo("agent-c");
    }

    @Test
    void withoutFromBeginningOnlyNewRecordsArePrinted() throws Exception {
        CompletableFuture<List<JsonNode>> later = CompletableFuture.supplyAsync(() -> {
            try {
                return tail("spend", "--max", "1");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(4_000);
        send(spend("agent-d", "e-4"));
        List<JsonNode> lines = later.get(60, TimeUnit.SECONDS);
        assertThat(lines).extracting(line -> line.at("/value/agent_id").asText()).containsExactly("agent-d");
    }

    @Test
    void anUnknownTopicNamesTheChoices() {
        StringWriter err = new StringWriter();
        CommandLine commandLine = Asr.commandLine();
        commandLine.setErr(new PrintWriter(err, true));
        assertThat(commandLine.execute("tail", "nope", "--config", config.toString())).isEqualTo(1);
        assertThat(err.toString()).contains("'nope' is not an ASR topic: give spend, outcomes, agent-metrics, band-transitions, dlq");
    }

    private List<JsonNode> tail(String... args) throws Exception {
        StringWriter out = new StringWriter();
        CommandLine commandLine = Asr.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        List<String> all = new ArrayList<>(List.of("tail"));
        all.addAll(List.of(args));
        all.addAll(List.of("--config", config.toString()));
        assertThat(commandLine.execute(all.toArray(String[]::new))).isZero();
        List<JsonNode> lines = new ArrayList<>();
        for (String line : out.toString().split("\n")) {
            if (!line.isBlank()) {
                lines.add(JSON.readTree(line));
            }
        }
        return lines;
    }

    private static SpendEvent spend(String agent, String eventId) {
        return SpendEvent.newBuilder(SampleEvents.spend()).setAgentId(agent).setEventId(eventId).build();
    }

    private void send(SpendEvent... events) throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (SpendEvent event : events) {
                producer.send(new ProducerRecord<>(names.spend(), event.getAgentId(),
                        topics.spend().valueSerde().serializer().serialize(names.spend(), event))).get();
            }
        }
    }

    private KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new StringSerializer(), new ByteArraySerializer());
    }
}
