package dev.asr.ingest.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.embedded.EmbeddedKafkaBroker;
import dev.asr.embedded.EmbeddedKafkaSettings;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.ingest.example.ReportingExample;
import dev.asr.ingest.testing.TopicContents;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The Java SDK against a real broker: what it writes decodes to what was reported, and close() loses nothing. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AsrClientIntegrationTest {

    private Path directory;
    private String bootstrap;
    private SchemaRegistry registry;
    private Topics topics;

    @BeforeAll
    void createTopics() throws Exception {
        directory = TestKafka.temporaryDirectory("asr-sdk-it-");
        bootstrap = TestKafka.bootstrapServers();
        registry = RegistrySettings.embedded(directory.resolve("schemas")).open();
        topics = TestTopics.create(bootstrap, TestTopics.fresh(), registry, 3);
    }

    @AfterAll
    void deleteDirectory() {
        registry.close();
        TestKafka.deleteRecursively(directory);
    }

    private AsrClientSettings settings() {
        return AsrClientSettings.of(bootstrap, RegistrySettings.embedded(directory.resolve("schemas"))).withTopics(topics.names());
    }

    @Test
    void tasksArriveAsTheEventsTheyReport() {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        String agentId = "sdk-bot-" + UUID.randomUUID();
        String succeeded;
        String abandoned;
        try (AsrClient client = AsrClient.create(settings().withClock(Clock.fixed(now, ZoneOffset.UTC)))) {
            AgentReporter agent = client.agent(agentId, "support");
            try (TaskReport task = agent.startTask("task-1")) {
                succeeded = task.taskId();
                task.inference("gpt-4.1-mini", 1_800, 240, 1_100);
                task.toolCall("crm-lookup", 300);
                task.transaction(2_000);
                task.human(500_000);
                task.succeed(4_000_000, 1);
                assertThatThrownBy(() -> task.toolCall("late", 1)).hasMessageContaining("has ended");
            }
            try (TaskReport task = agent.startTask()) {
                abandoned = task.taskId();
                task.inference("gpt-4.1", 100, 10, 50);
            }
            agent.idle(150);
            agent.overhead(80);
            client.flush();
            assertThat(client.acknowledged()).isEqualTo(9);
            assertThat(client.spendAcknowledged()).isEqualTo(7);
        }

        List<ConsumerRecord<String, SpendEvent>> spend = TopicContents.read(bootstrap, topics.spend()).stream()
                .filter(r -> r.key().equals(agentId)).toList();
        List<ConsumerRecord<String, OutcomeEvent>> outcomes = TopicContents.read(bootstrap, topics.outcomes()).stream()
                .filter(r -> r.key().equals(agentId)).toList();
        assertThat(spend).extracting(r -> r.value().getKind()).containsExactly(SpendKind.INFERENCE, SpendKind.TOOL_CALL,
                SpendKind.TRANSACTION, SpendKind.HUMAN, SpendKind.INFERENCE, SpendKind.IDLE, SpendKind.OVERHEAD);
        assertThat(spend).extracting(r -> r.value().getCostMicros()).containsExactly(1_100L, 300L, 2_000L, 500_000L, 50L, 150L, 80L);
        assertThat(spend).extracting(r -> r.value().getTaskId()).containsExactly(succeeded, succeeded, succeeded, succeeded, abandoned, null, null);
        SpendEvent inference = spend.get(0).value();
        assertThat(inference.getModel()).isEqualTo("gpt-4.1-mini");
        assertThat(inference.getInputTokens()).isEqualTo(1_800);
        assertThat(inference.getOutputTokens()).isEqualTo(240);
        assertThat(inference.getCurrency()).isEqualTo("USD");
        assertThat(inference.getFleet()).isEqualTo("support");
        assertThat(spend.get(1).value().getTool()).isEqualTo("crm-lookup");
        assertThat(outcomes).extracting(r -> r.value().getStatus()).containsExactly(OutcomeStatus.SUCCEEDED, OutcomeStatus.ABANDONED);
        assertThat(outcomes.get(0).value().getValueMicros()).isEqualTo(4_000_000);
        assertThat(outcomes.get(0).value().getHumanInterventions()).isEqualTo(1);
        assertThat(outcomes.get(1).value().getTaskId()).isEqualTo(abandoned);
        List<ConsumerRecord<String, ?>> all = new ArrayList<>(spend);
        all.addAll(outcomes);
        for (ConsumerRecord<String, ?> record : all) {
            assertThat(record.timestamp()).as("record time is the event time").isEqualTo(now.toEpochMilli());
        }
        Set<String> ids = all.stream().map(r -> r.value() instanceof SpendEvent s ? s.getEventId() : ((OutcomeEvent) r.value()).getEventId())
                .collect(Collectors.toSet());
        assertThat(ids).as("a fresh event id each").hasSize(9);
    }

    @Test
    void closingUnderLoadLosesNothingASendAccepted() throws Exception {
        String agentPrefix = "load-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        AsrClient client = AsrClient.create(settings().withCapacity(5_000, AsrClientSettings.WhenFull.BLOCK, Duration.ofSeconds(30)));
        ConcurrentLinkedQueue<String> accepted = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<CompletableFuture<Void>> futures = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> unexpected = new ConcurrentLinkedQueue<>();
        CountDownLatch running = new CountDownLatch(4);
        List<Thread> senders = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            String agentId = agentPrefix + t;
            Thread sender = new Thread(() -> {
                running.countDown();
                for (long i = 0; ; i++) {
                    String id = agentId + "-" + i;
                    SpendEvent event = SpendEvent.newBuilder().setEventId(id).setAgentId(agentId).setFleet("load").setTaskId(null)
                            .setKind(SpendKind.IDLE).setCostMicros(i).setOccurredAt(Instant.now()).build();
                    try {
                        futures.add(client.send(event));
                        accepted.add(id);
                    } catch (IllegalStateException closed) {
                        return;
                    } catch (RuntimeException e) {
                        unexpected.add(e);
                        return;
                    }
                }
            });
            sender.start();
            senders.add(sender);
        }
        running.await();
        Thread.sleep(2_000);
        client.close();
        int acceptedWhenClosed = accepted.size();
        for (Thread sender : senders) {
            sender.join();
        }

        assertThat(unexpected).isEmpty();
        assertThat(acceptedWhenClosed).as("sends under way when close() was called").isGreaterThan(10_000);
        assertThat(accepted).hasSize(acceptedWhenClosed);
        assertThat(futures).as("close() returned with every accepted send settled").allMatch(f -> f.isDone() && !f.isCompletedExceptionally());
        assertThat(client.acknowledged()).isEqualTo(acceptedWhenClosed);
        assertThat(client.failed()).isZero();
        Set<String> inTopic = TopicContents.read(bootstrap, topics.spend()).stream().map(r -> r.value().getEventId())
                .filter(id -> id.startsWith(agentPrefix)).collect(Collectors.toSet());
        assertThat(inTopic).as("every accepted event, in the topic").hasSize(acceptedWhenClosed).isEqualTo(new HashSet<>(accepted));
        assertThatThrownBy(() -> client.agent("a", "f").idle(1)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void aFullBufferBlocksThenFailsOrFailsAtOnceAndCloseReportsWhatKafkaNeverTook() throws Exception {
        Path brokerDirectory = TestKafka.temporaryDirectory("asr-sdk-full-");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(new EmbeddedKafkaSettings(brokerDirectory, "localhost", 0, 0))) {
            TestTopics.create(broker.bootstrapServers(), topics.names(), registry, 1);
            AsrClientSettings base = AsrClientSettings.of(broker.bootstrapServers(), RegistrySettings.embedded(directory.resolve("schemas")))
                    .withTopics(topics.names()).withKafka(Map.of("delivery.timeout.ms", 2_000, "request.timeout.ms", 1_000,
                            // Keep the metadata it has, so the records wait in the buffer (re-bootstrapping would drop it,
                            // and each send would wait max.block.ms for metadata instead).
                            "metadata.recovery.strategy", "none"));
            AsrClient blocking = AsrClient.create(base.withCapacity(5, AsrClientSettings.WhenFull.BLOCK, Duration.ofMillis(300)));
            AsrClient failing = AsrClient.create(base.withCapacity(5, AsrClientSettings.WhenFull.FAIL, Duration.ZERO));
            AgentReporter slow = blocking.agent("full-1", "f");
            AgentReporter fast = failing.agent("full-2", "f");
            slow.idle(1).get();
            fast.idle(1).get();
            broker.close();

            List<CompletableFuture<Void>> pending = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                pending.add(slow.idle(1));
                pending.add(fast.idle(1));
            }
            long start = System.nanoTime();
            assertThatThrownBy(() -> slow.idle(1)).isInstanceOf(BufferFullException.class)
                    .hasMessageContaining("5 events are waiting for Kafka", "(waited 300ms)", "asr.client.capacity");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
            assertThatThrownBy(() -> fast.idle(1)).isInstanceOf(BufferFullException.class).hasMessageNotContaining("waited");
            assertThatThrownBy(() -> failing.sendAll(List.of(event(), event(), event(), event(), event(), event())))
                    .hasMessageContaining("a batch of 6 events cannot fit a buffer of 5");

            blocking.close();
            failing.close();
            assertThat(pending).as("nothing is left hanging: Kafka never took them, and each says so")
                    .allMatch(CompletableFuture::isCompletedExceptionally);
            assertThat(blocking.failed() + failing.failed()).isEqualTo(10);
            assertThat(blocking.lastFailure()).isNotNull();
        } finally {
            TestKafka.deleteRecursively(brokerDirectory);
        }
    }

    @Test
    void aBatchTheProducerCannotTakeFailsAtOnceNotOneWaitPerEvent() {
        // No such topic (the broker does not create topics): each send would wait max.block.ms for metadata.
        TopicNames missing = new TopicNames("sdk-missing-" + UUID.randomUUID(), "sdk-missing-o", "sdk-missing-m", "sdk-missing-t",
                "sdk-missing-d");
        try (AsrClient client = AsrClient.create(settings().withTopics(missing).withKafka(Map.of("max.block.ms", 500)))) {
            List<SpendEvent> batch = IntStream.range(0, 10).mapToObj(i -> event()).toList();
            long start = System.nanoTime();
            CompletableFuture<Void> sent = client.sendAll(batch);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(sent).isCompletedExceptionally();
            assertThat(took).as("one wait of max.block.ms, not ten").isLessThan(Duration.ofMillis(2_500));
            assertThatThrownBy(sent::join).hasMessageContaining("not present in metadata");
            assertThat(client.failed()).isEqualTo(10);
            assertThat(client.inFlight()).as("the room is given back").isZero();
        }
    }

    private static SpendEvent event() {
        return SpendEvent.newBuilder().setEventId(UUID.randomUUID().toString()).setAgentId("a").setFleet("f").setTaskId(null)
                .setKind(SpendKind.IDLE).setCostMicros(0).setOccurredAt(Instant.now()).build();
    }

    @Test
    void theExampleRuns() throws Exception {
        Topics defaults = TestTopics.create(bootstrap, TopicNames.DEFAULTS, registry, 1);
        ReportingExample.main(new String[] {bootstrap, RegistrySettings.EMBEDDED_PREFIX + directory.resolve("schemas")});
        List<ConsumerRecord<String, OutcomeEvent>> outcomes = TopicContents.read(bootstrap, defaults.outcomes())
                .stream().filter(r -> r.key().equals("example-support-bot")).toList();
        assertThat(outcomes).extracting(r -> r.value().getStatus()).contains(OutcomeStatus.SUCCEEDED, OutcomeStatus.ABANDONED);
    }
}
