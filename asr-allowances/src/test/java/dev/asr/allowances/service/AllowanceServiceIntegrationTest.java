package dev.asr.allowances.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.allowances.decision.AuthorizationRequest;
import dev.asr.allowances.decision.Decision;
import dev.asr.allowances.decision.Outcome;
import dev.asr.allowances.ledger.CashView;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.allowances.policy.Period;
import dev.asr.event.AllowanceEvent;
import dev.asr.event.AllowanceEventType;
import dev.asr.event.AuthorizationDecision;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.Direction;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.event.Verdict;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.serde.AvroSerde;
import dev.asr.schemas.testing.TestTopics;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The allowance service on a real broker: concurrent requests for one agent never allow more than
 * remained (checked against the decisions topic), retries get the first decision, a new process
 * restores spent and held exactly from the topics, and a band transition changes the limit.
 */
class AllowanceServiceIntegrationTest {

    private static final long DOLLAR = 1_000_000;
    /** UNRATED: $100 a day, at most $10 at once, no review below it. */
    private static final Map<String, String> POLICY = Map.of("asr.allowance.unrated.limit", "100", "asr.allowance.unrated.max-spend", "10",
            "asr.allowance.unrated.review-above", "10");

    private Path directory;
    private String bootstrap;
    private TopicNames names;
    private Topics topics;
    private SchemaRegistry registry;
    private AllowanceSettings settings;

    @BeforeEach
    void topics() throws Exception {
        directory = TestKafka.temporaryDirectory("asr-allowances-");
        bootstrap = TestKafka.bootstrapServers();
        names = TestTopics.fresh();
        registry = new EmbeddedSchemaRegistry(directory.resolve("schemas"));
        topics = TestTopics.create(bootstrap, names, registry, 3);
        Map<String, String> given = new HashMap<>(POLICY);
        given.put("asr.topic.decisions", "decisions-" + names.spend());
        given.put("asr.topic.allowance-events", "allowance-events-" + names.spend());
        settings = AllowanceSettings.from(given);
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
            assertThat(DecisionsTopic.ensure(admin, settings, 3, (short) 1)).isTrue();
        }
    }

    @AfterEach
    void cleanUp() {
        TestKafka.deleteRecursively(directory);
    }

    private AllowanceService start() throws InterruptedException {
        AllowanceService service = AllowanceService.start(settings, Map.of("bootstrap.servers", bootstrap), topics, registry, Clock.systemUTC());
        assertThat(service.awaitReady(Duration.ofSeconds(60))).as("restored: %s", service.notReadyBecause()).isTrue();
        return service;
    }

    private record Asked(long amountMicros, Outcome outcome) {}

    @Test
    void sixteenThreadsAskingForOneAgentNeverGetMoreThanTheLimitAndTheTopicSaysSo() throws Exception {
        List<Asked> outcomes = new CopyOnWriteArrayList<>();
        try (AllowanceService service = start()) {
            ExecutorService threads = Executors.newFixedThreadPool(16);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int thread = t;
                done.add(threads.submit(() -> {
                    Random random = new Random(thread);
                    for (int i = 0; i < 25; i++) {
                        long amount = random.nextLong(1, 10 * DOLLAR);
                        outcomes.add(new Asked(amount, service.authorize(new AuthorizationRequest("t" + thread + "-" + i, "f", "bot-1",
                                amount, "TRANSACTION", null))));
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
            threads.shutdown();
            long allowed = outcomes.stream().filter(asked -> asked.outcome().decision() == Decision.ALLOW)
                    .mapToLong(Asked::amountMicros).sum();
            assertThat(outcomes).hasSize(400);
            assertThat(allowed).isLessThanOrEqualTo(100 * DOLLAR).isGreaterThan(80 * DOLLAR);
            assertThat(service.view("f", "bot-1").orElseThrow().heldMicros()).isEqualTo(allowed);

            Outcome first = outcomes.stream().map(Asked::outcome).filter(o -> o.authorizationId().equals("t3-4")).findFirst().orElseThrow();
            assertThat(service.authorize(new AuthorizationRequest("t3-4", "f", "bot-1", 1, "TRANSACTION", null)))
                    .as("a retry gets the first decision, whatever it asks").isEqualTo(first);
        }
        List<AuthorizationDecision> written = read(settings.decisionsTopic(), AuthorizationDecision.class);
        assertThat(written).as("one record per decision, none for the retry").hasSize(400);
        assertThat(written.stream().filter(d -> d.getVerdict() == Verdict.ALLOW).mapToLong(AuthorizationDecision::getAmountMicros).sum())
                .isLessThanOrEqualTo(100 * DOLLAR);

        // Over 80 % of the $100 was held: the 50 and 80 % thresholds were announced, once each, and a restart announces nothing again.
        List<String> announced = eventIds();
        assertThat(announced).contains("f/bot-1@" + Period.DAY.start(Instant.now()).toEpochMilli() + ":50",
                "f/bot-1@" + Period.DAY.start(Instant.now()).toEpochMilli() + ":80").doesNotHaveDuplicates();
        try (AllowanceService restarted = start()) {
            Thread.sleep(1_000);
        }
        assertThat(eventIds()).isEqualTo(announced);
    }

    @Test
    void aNewProcessRestoresSpentAndHeldFromTheTopicsAndABandTransitionChangesTheLimit() throws Exception {
        CashView before;
        try (AllowanceService service = start()) {
            Outcome a = service.authorize(new AuthorizationRequest("a", "f", "bot-2", 10 * DOLLAR, "TRANSACTION", null));
            Outcome b = service.authorize(new AuthorizationRequest("b", "f", "bot-2", 7 * DOLLAR, "TRANSACTION", null));
            service.authorize(new AuthorizationRequest("c", "f", "bot-2", 5 * DOLLAR, "TRANSACTION", null));
            assertThat(List.of(a.decision(), b.decision())).containsOnly(Decision.ALLOW);
            assertThat(service.release("f", "bot-2", "c")).isTrue();
            // The spend of "a" ($9.50) and an unauthorized $3 of inference arrive; the first is sent
            // again (a client's retry): it counts once, by its event_id.
            send(spend("bot-2", "s-1", 9_500_000, "a"), spend("bot-2", "s-2", 3 * DOLLAR, null), spend("bot-2", "s-1", 9_500_000, "a"));
            await(() -> service.view("f", "bot-2").orElseThrow().spentMicros() == 12_500_000, "both spends counted");
            before = service.view("f", "bot-2").orElseThrow();
            assertThat(before.heldMicros()).as("only b's hold is open").isEqualTo(7 * DOLLAR);
            assertThat(before.remainingMicros()).isEqualTo(100 * DOLLAR - 12_500_000 - 7 * DOLLAR);
        }
        try (AllowanceService restored = start()) {
            AgentStatus status = restored.status("f", "bot-2").orElseThrow();
            assertThat(status.burnMicrosPerSecond()).as("12.50 spent within the last minutes, per 5m, 30m, 1h, 6h")
                    .containsExactly(12_500_000 / 300.0, 12_500_000 / 1800.0, 12_500_000 / 3600.0, 12_500_000 / 21_600.0);
            assertThat(status.secondsToExhaustion()).as("what remains at the 5-minute pace")
                    .isEqualTo(before.remainingMicros() / (12_500_000 / 300.0));
            CashView after = restored.view("f", "bot-2").orElseThrow();
            assertThat(after.spentMicros()).isEqualTo(before.spentMicros());
            assertThat(after.heldMicros()).isEqualTo(before.heldMicros());
            assertThat(restored.authorize(new AuthorizationRequest("b", "f", "bot-2", 1, "TRANSACTION", null)).view().heldMicros())
                    .as("the decision on b is remembered across the restart").isEqualTo(7 * DOLLAR + 10 * DOLLAR);

            String transitionId = sendTransition("bot-2", Band.UNRATED, Band.SELF_DIRECTED);
            long selfDirected = settings.policy().of("f", Band.SELF_DIRECTED).limitMicros();
            await(() -> restored.view("f", "bot-2").orElseThrow().limitMicros() == selfDirected, "the self-directed limit applies");
            assertThat(restored.view("f", "bot-2").orElseThrow().band()).isEqualTo(Band.SELF_DIRECTED);
            await(() -> eventIds().contains("tier:f/" + transitionId), "TIER_CHANGED written");
        }
        List<AllowanceEvent> tierChanges = read(settings.eventsTopic(), AllowanceEvent.class).stream()
                .filter(e -> e.getType() == AllowanceEventType.TIER_CHANGED).toList();
        assertThat(tierChanges).hasSize(1);
        assertThat(tierChanges.get(0).getFromBand()).isEqualTo(Band.UNRATED);
        assertThat(tierChanges.get(0).getBand()).isEqualTo(Band.SELF_DIRECTED);
        assertThat(tierChanges.get(0).getLimitMicros()).isEqualTo(settings.policy().of("f", Band.SELF_DIRECTED).limitMicros());
    }

    @Test
    void aNewPolicyAppliesAtOnceAndKeepsWhatWasSpentAndHeld() throws Exception {
        try (AllowanceService service = start()) {
            service.authorize(new AuthorizationRequest("h", "f", "bot-3", 10 * DOLLAR, "TRANSACTION", null));
            send(spend("bot-3", "s-3", 60 * DOLLAR, null));
            await(() -> service.view("f", "bot-3").orElseThrow().spentMicros() == 60 * DOLLAR, "the spend counted");
            Map<String, String> lower = new HashMap<>(POLICY);
            lower.put("asr.allowance.fleet.f.unrated.limit", "65");
            service.usePolicy(AllowanceSettings.from(lower).policy());
            CashView view = service.view("f", "bot-3").orElseThrow();
            assertThat(view.limitMicros()).isEqualTo(65 * DOLLAR);
            assertThat(view.spentMicros()).isEqualTo(60 * DOLLAR);
            assertThat(view.heldMicros()).isEqualTo(10 * DOLLAR);
            Outcome denied = service.authorize(new AuthorizationRequest("i", "f", "bot-3", 1, "TRANSACTION", null));
            assertThat(denied.decision()).isEqualTo(Decision.DENY);
            assertThat(denied.reason().code()).isEqualTo("over-remaining");
        }
    }

    @Test
    void decisionsRememberedForRetriesAreBoundedTheOldestForgottenFirst() throws Exception {
        settings = settingsWith(Map.of("asr.allowance.max-remembered", "100"));
        try (AllowanceService service = start()) {
            Outcome first = null;
            for (int i = 0; i < 300; i++) {
                Outcome outcome = service.authorize(new AuthorizationRequest("m-" + i, "f", "bot-" + (i % 7), 1, "TRANSACTION", null));
                first = i == 6 ? outcome : first;
            }
            assertThat(service.rememberedDecisions()).isEqualTo(100);
            long heldBefore = service.view("f", "bot-6").orElseThrow().heldMicros();
            service.authorize(new AuthorizationRequest("m-299", "f", "bot-5", 1, "TRANSACTION", null));
            assertThat(service.view("f", "bot-5").orElseThrow().heldMicros()).as("m-299 is remembered: nothing new held")
                    .isEqualTo(43);
            Outcome again = service.authorize(new AuthorizationRequest("m-6", "f", "bot-6", 1, "TRANSACTION", null));
            assertThat(again.decidedAt()).as("m-6 was forgotten: decided anew").isAfter(first.decidedAt());
            assertThat(service.view("f", "bot-6").orElseThrow().heldMicros()).as("its hold replaces the open one of the same id")
                    .isEqualTo(heldBefore);
        }
        try (AllowanceService restored = start()) {
            assertThat(restored.rememberedDecisions()).as("a restore remembers no more either").isEqualTo(100);
        }
    }

    /**
     * With several deciding gateways each follows the others' decisions and the spend side by side,
     * so an authorization's spend can be read before its ALLOW: the ALLOW then holds nothing (the
     * spend replaced it already).
     */
    @Test
    void anotherDecidersAllowReadAfterItsSpendHoldsNothing() throws Exception {
        settings = settingsWith(Map.of("asr.allowance.advertised-url", "http://127.0.0.1:1", "asr.allowance.group",
                "deciders-" + names.spend()));
        try (AllowanceService service = start()) {
            send(spend("other-decided", "s-1", 3 * DOLLAR, "a-1"), spend("other-decided", "s-2", 2 * DOLLAR, "a-2"));
            Instant now = Instant.now();
            AvroSerde<AuthorizationDecision> serde = AvroSerde.forValues(AuthorizationDecision.class, registry);
            try (KafkaProducer<String, byte[]> producer = producer()) {
                for (String id : List.of("a-1", "a-2", "a-3")) {
                    AuthorizationDecision allow = AuthorizationDecision.newBuilder().setAuthorizationId(id).setAgentId("other-decided")
                            .setFleet("f").setVerdict(Verdict.ALLOW).setReason("within-allowance").setBand(Band.UNRATED)
                            .setAmountMicros(4 * DOLLAR).setLimitMicros(100 * DOLLAR).setSpentMicros(0).setHeldMicros(0)
                            .setPeriodStart(Period.DAY.start(now)).setPeriodEnd(Period.DAY.start(now).plus(1, ChronoUnit.DAYS))
                            .setDecidedAt(now).setHoldExpiresAt(now.plus(5, ChronoUnit.MINUTES)).build();
                    producer.send(new ProducerRecord<>(settings.decisionsTopic(), "other-decided",
                            serde.encode(settings.decisionsTopic(), allow))).get();
                }
            }
            await(() -> service.view("f", "other-decided").map(v -> v.heldMicros() == 4 * DOLLAR && v.spentMicros() == 5 * DOLLAR)
                    .orElse(false), "held only a-3, the ALLOW with no spend (4.00); spent 5.00: " + service.view("f", "other-decided"));
        }
    }

    /** This test's settings (policy and topics) with {@code extra} over them. */
    private AllowanceSettings settingsWith(Map<String, String> extra) {
        Map<String, String> given = new HashMap<>(POLICY);
        given.put("asr.topic.decisions", settings.decisionsTopic());
        given.put("asr.topic.allowance-events", settings.eventsTopic());
        given.putAll(extra);
        return AllowanceSettings.from(given);
    }

    private List<String> eventIds() {
        return read(settings.eventsTopic(), AllowanceEvent.class).stream().map(AllowanceEvent::getEventId).toList();
    }

    private <T extends org.apache.avro.specific.SpecificRecord> List<T> read(String topic, Class<T> type) {
        AvroSerde<T> serde = AvroSerde.forValues(type, registry);
        List<T> all = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", bootstrap), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    all.add(serde.decode(record.topic(), record.value()));
                }
            }
        }
        return all;
    }

    private static SpendEvent spend(String agent, String eventId, long micros, String authorizationId) {
        return SpendEvent.newBuilder().setEventId(eventId).setAgentId(agent).setFleet("f").setKind(SpendKind.TRANSACTION)
                .setCostMicros(micros).setOccurredAt(Instant.now().truncatedTo(ChronoUnit.MILLIS)).setAuthorizationId(authorizationId).build();
    }

    private void send(SpendEvent... events) throws Exception {
        try (KafkaProducer<String, byte[]> producer = producer()) {
            for (SpendEvent event : events) {
                producer.send(new ProducerRecord<>(names.spend(), event.getAgentId(),
                        topics.spend().valueSerde().serializer().serialize(names.spend(), event))).get();
            }
        }
    }

    private String sendTransition(String agent, Band from, Band to) throws Exception {
        Instant end = Instant.now().truncatedTo(ChronoUnit.MINUTES);
        BandTransition move = BandTransition.newBuilder().setTransitionId(agent + "@" + end.toEpochMilli()).setAgentId(agent).setFleet("f")
                .setFromBand(from).setToBand(to).setDirection(Direction.RATED).setAsr(0.7).setSettledTasks(9).setSpendMicros(10)
                .setAutonomousSpendMicros(7).setWindow("1h").setWindowStart(end.minus(1, ChronoUnit.HOURS)).setWindowEnd(end)
                .setOccurredAt(end).build();
        try (KafkaProducer<String, byte[]> producer = producer()) {
            producer.send(new ProducerRecord<>(names.bandTransitions(), agent,
                    topics.bandTransitions().valueSerde().serializer().serialize(names.bandTransitions(), move))).get();
        }
        return move.getTransitionId();
    }

    private KafkaProducer<String, byte[]> producer() {
        return new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap), new StringSerializer(), new ByteArraySerializer());
    }

    private static void await(java.util.function.BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as(what + " within 60 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
