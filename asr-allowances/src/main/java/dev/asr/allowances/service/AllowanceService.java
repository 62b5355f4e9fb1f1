package dev.asr.allowances.service;

import dev.asr.allowances.decision.AuthorizationIds;
import dev.asr.allowances.decision.AuthorizationRequest;
import dev.asr.allowances.decision.Decider;
import dev.asr.allowances.decision.Decision;
import dev.asr.allowances.decision.Outcome;
import dev.asr.allowances.decision.Reason;
import dev.asr.allowances.ledger.AgentAllowance;
import dev.asr.allowances.ledger.CashView;
import dev.asr.allowances.ledger.Hold;
import dev.asr.allowances.ledger.SpendRate;
import dev.asr.allowances.ledger.Thresholds;
import dev.asr.allowances.policy.AllowancePolicy;
import dev.asr.allowances.policy.BandAllowance;
import dev.asr.event.AllowanceEvent;
import dev.asr.event.AllowanceEventType;
import dev.asr.event.AuthorizationDecision;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.event.Verdict;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.serde.AvroSerde;
import dev.asr.schemas.serde.BadRecordException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides spend requests at request speed (SPEC §9), one process owning every agent: each agent's
 * requests are decided one after another ({@link Decider}, under the agent's lock), and each
 * decision is written to the decisions topic (acks=all) before it is answered or applied. On
 * start it restores every agent from the topics: its holds and recent decisions from the
 * decisions topic, its band from the band transitions, what it spent this period from the spend
 * topic; until then it is not ready and decides nothing. It then follows spend (a spend carrying
 * an authorization's id replaces that hold) and band transitions as they come.
 *
 * <p>Retries with the same {@code authorization_id} within {@link #IDEMPOTENCY_WINDOW} get the
 * first decision again.
 *
 * <p>Changes of authority go to the allowance events topic: TIER_CHANGED on a band transition, and
 * once per period THRESHOLD_CROSSED (50/80/95/100 % of the limit spent or held) and EXHAUSTED, each
 * with a deterministic id. The announcements already made this period are restored from that
 * topic, and any a crash kept from being made are made once restored.
 *
 * <p>Several deciding gateways ({@code asr.allowance.advertised-url} set): every instance follows
 * every topic, decisions and announcements included, so each knows every agent; each decides only
 * for the agents of the decisions partitions its group gave it ({@link Ownership}, which fences the
 * previous decider before it takes a partition over) and tells the gateway where the others are
 * decided ({@link #deciderOf}). Only an agent's decider announces for it.
 */
public final class AllowanceService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AllowanceService.class);
    /** How long a decision is remembered for retries with its authorization_id. */
    public static final Duration IDEMPOTENCY_WINDOW = Duration.ofHours(1);
    /** How far back the spend topic is read at start: the longest period, a month, and a day of slack. */
    private static final Duration SPEND_REPLAY = Duration.ofDays(32);
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);
    /** How many spend event ids are remembered to count resends once (about 100 bytes each). */
    static final int SEEN_SPEND = 200_000;

    /**
     * Thrown while the service restores its state, or (several deciding gateways) while no gateway
     * decides for the agent's partition: decide nothing yet (503, reason not-ready).
     */
    public static final class NotReadyException extends RuntimeException {
        NotReadyException(String message) {
            super(message);
        }
    }

    private static final class Entry {
        AgentAllowance state;
        /** Completes when the agent's latest decision is durable and applied: the next one is decided after it. */
        CompletableFuture<Void> last = CompletableFuture.completedFuture(null);
        final SpendRate rate = new SpendRate();
        /**
         * Authorizations whose spend was read before their ALLOW (several deciding gateways: the two
         * topics are read side by side), with when: that ALLOW then holds nothing. Kept a hold time.
         */
        final Map<String, Instant> spentBeforeAllowed = new LinkedHashMap<>();
        /** When it last spent or asked (wall clock): the metrics keep the most recently active agents. */
        volatile Instant active = Instant.EPOCH;

        Entry(AgentAllowance state) {
            this.state = state;
        }
    }

    private final AllowanceSettings settings;
    private final Topics topics;
    private final AvroSerde<AuthorizationDecision> decisions;
    private final AvroSerde<AllowanceEvent> events;
    private final KafkaProducer<String, byte[]> producer;
    /** Decisions go to Kafka in bursts (see {@link GroupCommit}); each caller still waits for its own acknowledgement. */
    private final GroupCommit commits;
    private final KafkaConsumer<byte[], byte[]> follower;
    private final Map<String, Object> kafka;
    /** With several deciding gateways: which partitions this one decides for (set once restored); null with one. */
    private volatile Ownership ownership;
    /** With several deciding gateways: how far the follower has applied each decisions partition (its position). */
    private final Map<TopicPartition, Long> followedTo = new ConcurrentHashMap<>();
    private final Map<String, Entry> agents = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Thread thread;
    private volatile boolean ready;
    /** While restoring, state is rebuilt from what was announced already: nothing is announced. */
    private volatile boolean restoring = true;
    private volatile boolean running = true;
    private volatile String notReadyBecause = "restoring the agents' allowances from the topics";
    /** The band allowances in force: replaced whole by {@link #usePolicy} (a changed policy file), state kept. */
    private volatile AllowancePolicy policy;
    /**
     * The spend events' ids seen last (the follower's thread only): a resend of one of them counts
     * once. Resends come soon after the first; one older than the last {@value #SEEN_SPEND} events
     * would count twice (less allowance, never more).
     */
    private final Map<String, Boolean> seenSpend = new LinkedHashMap<>(1 << 16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > SEEN_SPEND;
        }
    };
    /** Decisions remembered for retries, by agent and authorization id, oldest first: what {@link #forget} drops first. */
    private final RememberedDecisions remembered = new RememberedDecisions();
    private final LongAdder[] decisionCounts = new LongAdder[Decision.values().length * Reason.values().length];

    private AllowanceService(AllowanceSettings settings, Map<String, Object> kafka, Topics topics, SchemaRegistry registry, Clock clock) {
        this.settings = settings;
        this.topics = topics;
        this.clock = clock;
        this.kafka = Map.copyOf(kafka);
        this.policy = settings.policy();
        for (int i = 0; i < decisionCounts.length; i++) {
            decisionCounts[i] = new LongAdder();
        }
        this.decisions = AvroSerde.forValues(AuthorizationDecision.class, registry);
        this.events = AvroSerde.forValues(AllowanceEvent.class, registry);
        Map<String, Object> producerConfig = new HashMap<>(kafka);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 0);
        producerConfig.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "asr-allowances");
        this.producer = new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
        this.commits = new GroupCommit(producer, "asr-allowances-writer");
        Map<String, Object> consumerConfig = new HashMap<>(kafka);
        consumerConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "asr-allowances-follower");
        this.follower = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.thread = new Thread(this::run, "asr-allowances");
        thread.setDaemon(true);
    }

    /** Starts restoring in the background; {@link #ready()} says when it decides. */
    public static AllowanceService start(AllowanceSettings settings, Map<String, Object> kafka, Topics topics, SchemaRegistry registry,
            Clock clock) {
        AllowanceService service = new AllowanceService(settings, kafka, topics, registry, clock);
        service.thread.start();
        return service;
    }

    public boolean ready() {
        return ready;
    }

    public AllowanceSettings settings() {
        return settings;
    }

    /** Why it does not decide yet, or null. */
    public String notReadyBecause() {
        return ready ? null : notReadyBecause;
    }

    /** Waits until restored, or {@code timeout}; true when ready. */
    public boolean awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        return ready;
    }

    /**
     * The decision on a request, durable before it returns. A request without an
     * {@code authorization_id} gets a new one (and no idempotency).
     *
     * @throws NotReadyException while restoring
     * @throws IllegalStateException when the decision could not be written (nothing was decided: retry)
     */
    public Outcome authorize(AuthorizationRequest request) {
        return await(authorizeAsync(request), "no decision", "nothing was decided, retry");
    }

    /** The future's value, waiting a little longer than a write may take; its failure, or the wait's, as an unchecked exception. */
    private static <T> T await(CompletableFuture<T> future, String none, String advice) {
        try {
            return future.get(SEND_TIMEOUT.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException(none + " within " + (SEND_TIMEOUT.toSeconds() + 5) + " s: " + advice, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Kafka", e);
        }
    }

    /**
     * The decision on a request, completed once it is durable ({@code acks=all}), without a thread
     * waiting for it: the caller answers from the completion. One agent's requests are decided one
     * after another, each against the state its predecessors left once they were written (so
     * concurrent ALLOWs never exceed what remains, and a retry of an id in flight gets its
     * decision); the state takes a decision only when Kafka acknowledged it. Completes
     * exceptionally with {@link IllegalStateException} when the decision could not be written
     * (nothing was decided: retry).
     *
     * @throws NotReadyException while restoring
     */
    public CompletableFuture<Outcome> authorizeAsync(AuthorizationRequest request) {
        requireReady();
        requireDecider(request.agentId());
        AuthorizationRequest withId = request.authorizationId() != null ? request : new AuthorizationRequest(AuthorizationIds.next(),
                request.fleet(), request.agentId(), request.amountMicros(), request.kind(), request.taskId());
        Entry entry = entry(withId.fleet(), withId.agentId());
        CompletableFuture<Outcome> answer = new CompletableFuture<>();
        inTurn(entry, done -> decide(entry, withId, answer, done));
        return answer;
    }

    /** Decides {@code request} once its agent's previous decision is settled; {@code done} lets the next one go. */
    private void decide(Entry entry, AuthorizationRequest request, CompletableFuture<Outcome> answer, CompletableFuture<Void> done) {
        Outcome outcome;
        AuthorizationDecision record;
        try {
            synchronized (entry) {
                Outcome earlier = remembered.get(entry, request.authorizationId());
                if (earlier != null) {
                    done.complete(null);
                    answer.complete(earlier);
                    return;
                }
                Instant now = clock.instant();
                Band band = entry.state.band();
                Decider.Decided decided = Decider.decide(entry.state, policy.of(request.fleet(), band), request, now, settings.holdTime());
                outcome = decided.outcome();
                record = record(request, outcome, band, verdict(outcome.decision()), outcome.reason().code());
            }
        } catch (RuntimeException e) {
            done.complete(null);
            answer.completeExceptionally(e);
            return;
        }
        Outcome decided = outcome;
        writeThen(record, done, answer, () -> {
            apply(entry, request, decided);
            forget(decided.decidedAt());
            return decided;
        });
    }

    /**
     * Writes {@code record} (acks=all) and, once Kafka acknowledged it, applies it ({@code applied})
     * and answers with what that returns; {@code done} (the agent's next turn) completes either way.
     * Not written — not encoded (the schema registry unreachable, say), or not acknowledged in time
     * — nothing was applied, and the answer fails saying so.
     */
    private <T> void writeThen(AuthorizationDecision record, CompletableFuture<Void> done, CompletableFuture<T> answer,
            Supplier<T> applied) {
        CompletableFuture<Void> written;
        try {
            written = writeAsync(record);
        } catch (RuntimeException e) {
            done.complete(null);
            answer.completeExceptionally(notWritten(e));
            return;
        }
        written.orTimeout(SEND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS).whenComplete((ignored, error) -> {
            if (error != null) {
                done.complete(null);
                answer.completeExceptionally(notWritten(error));
                return;
            }
            T result;
            try {
                result = applied.get();
            } finally {
                done.complete(null);
            }
            answer.complete(result);
        });
    }

    /**
     * A decision Kafka acknowledged, taken into the agent's state as it is now: spend and band
     * changes that arrived while it was being written stay; an ALLOW adds its hold.
     */
    private void apply(Entry entry, AuthorizationRequest request, Outcome outcome) {
        synchronized (entry) {
            Instant now = outcome.decidedAt();
            BandAllowance allowance = policy.of(request.fleet(), entry.state.band());
            AgentAllowance current = entry.state.at(now, allowance).withoutExpired(now);
            entry.state = outcome.decision() == Decision.ALLOW
                    ? current.withHold(new Hold(request.authorizationId(), request.amountMicros(), outcome.holdExpiresAt()))
                    : current;
            entry.active = now;
            decisionCounts[outcome.decision().ordinal() * Reason.values().length + outcome.reason().ordinal()].increment();
            remember(entry, outcome);
            announce(entry, allowance, now);
        }
    }

    /** Releases an ALLOW's hold before it expires; false when there is no such open hold. */
    public boolean release(String fleet, String agentId, String authorizationId) {
        requireReady();
        requireDecider(agentId);
        Entry entry = entry(fleet, agentId);
        CompletableFuture<Boolean> released = new CompletableFuture<>();
        inTurn(entry, done -> {
            AuthorizationDecision record;
            synchronized (entry) {
                Instant now = clock.instant();
                BandAllowance allowance = policy.of(fleet, entry.state.band());
                AgentAllowance current = entry.state.at(now, allowance).withoutExpired(now);
                Hold hold = current.holds().get(authorizationId);
                if (hold == null) {
                    done.complete(null);
                    released.complete(false);
                    return;
                }
                CashView view = current.withoutHold(authorizationId).view(allowance);
                record = record(new AuthorizationRequest(authorizationId, fleet, agentId, hold.amountMicros(), null, null),
                        new Outcome(authorizationId, Decision.ALLOW, Reason.WITHIN_ALLOWANCE, view, now, null), current.band(),
                        Verdict.RELEASE, "released");
            }
            writeThen(record, done, released, () -> {
                synchronized (entry) {
                    entry.state = entry.state.withoutHold(authorizationId);
                }
                return true;
            });
        });
        return await(released, "the release was not written", "retry");
    }

    /**
     * Runs {@code step} once the agent's previous decision (or release) is written and applied;
     * the step completes the future it is given when the next one may go. One agent's changes
     * thus happen one after another, none blocking a thread while Kafka acknowledges.
     */
    private static void inTurn(Entry entry, Consumer<CompletableFuture<Void>> step) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<Void> previous;
        synchronized (entry) {
            previous = entry.last;
            entry.last = done;
        }
        previous.whenComplete((ignored, error) -> {
            try {
                step.accept(done);
            } catch (RuntimeException e) {
                // A step completes its caller's future itself; whatever escaped, the agent's next step must not wait forever.
                done.complete(null);
                log.error("An allowance step failed unexpectedly: {}", e.toString(), e);
            }
        });
    }

    /** The agent's cash view now, when the service knows the agent. */
    public Optional<CashView> view(String fleet, String agentId) {
        return status(fleet, agentId).map(AgentStatus::cash);
    }

    /** The agent's cash view and burn rates now, when the service knows the agent. */
    public Optional<AgentStatus> status(String fleet, String agentId) {
        Entry entry = agents.get(key(fleet, agentId));
        return entry == null ? Optional.empty() : Optional.of(status(entry, clock.instant()));
    }

    /**
     * Every known agent's status now, the {@code max} most recently active first (spend or
     * requests; for the metrics, which must not grow without bound).
     */
    public List<AgentStatus> statuses(int max) {
        Instant now = clock.instant();
        List<Entry> entries = new ArrayList<>(agents.values());
        if (entries.size() > max) {
            entries.sort(Comparator.comparing((Entry e) -> e.active).reversed());
            entries = entries.subList(0, max);
        }
        List<AgentStatus> statuses = new ArrayList<>(entries.size());
        for (Entry entry : entries) {
            statuses.add(status(entry, now));
        }
        return statuses;
    }

    /** A fleet's allowances now: its agents' statuses (every agent the service knows in the fleet). */
    public List<AgentStatus> fleet(String fleet) {
        Instant now = clock.instant();
        List<AgentStatus> statuses = new ArrayList<>();
        for (Entry entry : agents.values()) {
            if (entry.state.fleet().equals(fleet)) {
                statuses.add(status(entry, now));
            }
        }
        return statuses;
    }

    /** How many agents the service knows. */
    public int agentCount() {
        return agents.size();
    }

    /** Decisions made by this process since it started, by decision and reason (restored decisions not counted). */
    public long decisionCount(Decision decision, Reason reason) {
        return decisionCounts[decision.ordinal() * Reason.values().length + reason.ordinal()].sum();
    }

    /** Decides from now on by {@code next} (a changed policy file): spent, held and announced amounts are kept. */
    public void usePolicy(AllowancePolicy next) {
        this.policy = next;
    }

    public AllowancePolicy policy() {
        return policy;
    }

    private AgentStatus status(Entry entry, Instant now) {
        synchronized (entry) {
            BandAllowance allowance = policy.of(entry.state.fleet(), entry.state.band());
            CashView cash = entry.state.at(now, allowance).withoutExpired(now).view(allowance);
            double[] rates = new double[SpendRate.WINDOWS.length];
            for (int i = 0; i < rates.length; i++) {
                rates[i] = entry.rate.microsPerSecond(SpendRate.WINDOWS[i], now);
            }
            return new AgentStatus(entry.state.fleet(), entry.state.agentId(), cash, allowance, rates,
                    entry.rate.secondsToExhaustion(cash.remainingMicros(), now));
        }
    }

    /**
     * Where requests for {@code agentId} are decided: null when here (always, with one deciding
     * gateway), else the URL of the gateway that decides for the agent's partition.
     *
     * @throws NotReadyException while restoring, or while no gateway decides for the partition
     *     (being taken over: the group is rebalancing, or the new decider reads what the previous one wrote)
     */
    public String deciderOf(String agentId) {
        requireReady();
        Ownership owners = ownership;
        if (owners == null) {
            return null;
        }
        int partition = owners.partition(agentId);
        if (owners.writer(partition) != null) {
            return null;
        }
        String owner = owners.owner(partition);
        if (owner == null || owner.equals(owners.url())) {
            throw new NotReadyException("partition " + partition + " of " + settings.decisionsTopic() + " (agent " + agentId
                    + ") is being taken over by a deciding gateway: retry shortly");
        }
        return owner;
    }

    /** With several deciding gateways, the partitions this one decides for now; empty with one (it decides for all). */
    public java.util.Set<Integer> decidedPartitions() {
        Ownership owners = ownership;
        return owners == null ? java.util.Set.of() : owners.decided();
    }

    /** Whether this instance decides for (and so announces for) the agent. */
    private boolean decides(String agentId) {
        Ownership owners = ownership;
        return owners == null ? !settings.shared() : owners.writer(owners.partition(agentId)) != null;
    }

    private void requireDecider(String agentId) {
        Ownership owners = ownership;
        if (owners == null && settings.shared()) {
            throw new NotReadyException("this gateway has not joined the deciding group yet: retry shortly");
        }
        if (owners != null && owners.writer(owners.partition(agentId)) == null) {
            throw new NotReadyException("this gateway does not decide for agent " + agentId + " (partition "
                    + owners.partition(agentId) + " of " + settings.decisionsTopic() + "): ask its decider, "
                    + Optional.ofNullable(owners.owner(owners.partition(agentId))).orElse("being assigned now") + ", or retry");
        }
    }

    private void requireReady() {
        if (!ready) {
            throw new NotReadyException(notReadyBecause);
        }
    }

    private static Verdict verdict(Decision decision) {
        return switch (decision) {
            case ALLOW -> Verdict.ALLOW;
            case REVIEW -> Verdict.REVIEW;
            case DENY -> Verdict.DENY;
        };
    }

    /** Remembers a decision for retries with its authorization_id (under the entry's lock); {@link #forget} bounds them. */
    private void remember(Entry entry, Outcome outcome) {
        remembered.putIfAbsent(entry, outcome);
    }

    /**
     * Forgets the oldest remembered decisions: those older than {@link #IDEMPOTENCY_WINDOW}, and
     * any past {@code asr.allowance.max-remembered}.
     */
    private void forget(Instant now) {
        remembered.forget(now.minus(IDEMPOTENCY_WINDOW), settings.maxRemembered());
    }

    /** How many decisions are remembered for retries now. */
    public int rememberedDecisions() {
        return remembered.size();
    }

    private AuthorizationDecision record(AuthorizationRequest request, Outcome outcome, Band band, Verdict verdict,
            String reason) {
        CashView view = outcome.view();
        SpendKind kind = null;
        if (request.kind() != null) {
            try {
                kind = SpendKind.valueOf(request.kind());
            } catch (IllegalArgumentException notAKind) {
                kind = null;
            }
        }
        return AuthorizationDecision.newBuilder().setAuthorizationId(request.authorizationId()).setAgentId(request.agentId())
                .setFleet(request.fleet()).setVerdict(verdict).setReason(reason).setBand(band).setAmountMicros(request.amountMicros())
                .setKind(kind).setTaskId(request.taskId()).setLimitMicros(view.limitMicros()).setSpentMicros(view.spentMicros())
                .setHeldMicros(view.heldMicros()).setPeriodStart(view.periodStart()).setPeriodEnd(view.periodEnd())
                .setDecidedAt(outcome.decidedAt()).setHoldExpiresAt(outcome.holdExpiresAt()).build();
    }

    private CompletableFuture<Void> writeAsync(AuthorizationDecision record) {
        byte[] value = decisions.encode(settings.decisionsTopic(), record);
        Ownership owners = ownership;
        if (owners == null && !settings.shared()) {
            return commits.writeAsync(new ProducerRecord<>(settings.decisionsTopic(), null, record.getDecidedAt().toEpochMilli(),
                    record.getAgentId(), value));
        }
        if (owners == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("this gateway has not joined the deciding group yet"));
        }
        int partition = owners.partition(record.getAgentId());
        GroupCommit writer = owners.writer(partition);
        if (writer == null) {
            return CompletableFuture.failedFuture(new IllegalStateException("this gateway stopped deciding for partition " + partition
                    + " (another took it over)"));
        }
        return writer.writeAsync(new ProducerRecord<>(settings.decisionsTopic(), partition, record.getDecidedAt().toEpochMilli(),
                record.getAgentId(), value));
    }

    private IllegalStateException notWritten(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof TimeoutException) {
            return new IllegalStateException("Kafka did not acknowledge the decision within " + SEND_TIMEOUT.toSeconds()
                    + " s: nothing was decided, retry", cause);
        }
        return new IllegalStateException("the decision could not be written to " + settings.decisionsTopic() + " ("
                + cause.getMessage() + "): nothing was decided, retry", cause);
    }

    private static String key(String fleet, String agentId) {
        return fleet + '\u001f' + agentId;
    }

    private Entry entry(String fleet, String agentId) {
        return agents.computeIfAbsent(key(fleet, agentId), k -> new Entry(AgentAllowance.fresh(fleet, agentId,
                policy.of(fleet, Band.UNRATED), clock.instant())));
    }

    // Restoring, then following spend and transitions.

    private void run() {
        try {
            List<TopicPartition> decisionPartitions = restore();
            restoring = false;
            announceAll(null);
            if (settings.shared()) {
                // Before ready: a request must never find this gateway ready and not yet in the group (it would decide unfenced).
                publishPositions(decisionPartitions);
                ownership = new Ownership(kafka, settings.group(), settings.advertisedUrl(), settings.decisionsTopic(),
                        decisionPartitions.size(), settings.sessionTimeout(), (tp, offset) -> followedTo.getOrDefault(tp, -1L) >= offset,
                        this::announceAll);
            }
            ready = true;
            if (settings.shared()) {
                log.info("Allowances restored: {} agents; deciding, with the other gateways of group {}, for the partitions of {} the group"
                        + " gives this one ({})", agents.size(), settings.group(), settings.decisionsTopic(), settings.advertisedUrl());
            } else {
                log.info("Allowances restored: {} agents; deciding", agents.size());
            }
            while (running) {
                for (ConsumerRecord<byte[], byte[]> record : follower.poll(Duration.ofMillis(200))) {
                    follow(record);
                }
                if (settings.shared()) {
                    publishPositions(decisionPartitions);
                }
            }
        } catch (WakeupException closing) {
            // close()
        } catch (RuntimeException e) {
            // Fail closed: without the spend it follows, its figures would go stale and it could over-allow.
            notReadyBecause = (ready ? "following spend and band transitions failed: " : "restoring failed: ") + e.getMessage()
                    + "; restart the process";
            ready = false;
            log.error("The allowance service stopped deciding: {}", e.getMessage(), e);
        } finally {
            follower.close(Duration.ofSeconds(2));
        }
    }

    /**
     * Reads every topic to its end, then goes on following from there: spend and band transitions,
     * and with several deciding gateways the decisions and announcements too. The decisions topic's
     * partitions.
     */
    private List<TopicPartition> restore() {
        String transitions = topics.bandTransitions().name();
        String spend = topics.spend().name();
        List<TopicPartition> decisionPartitions = partitions(settings.decisionsTopic());
        List<TopicPartition> eventPartitions = partitions(settings.eventsTopic());
        List<TopicPartition> transitionPartitions = partitions(transitions);
        List<TopicPartition> spendPartitions = partitions(spend);
        Map<TopicPartition, Long> from = new HashMap<>();
        from.putAll(readToEnd(decisionPartitions, null, this::followDecision));
        from.putAll(readToEnd(eventPartitions, clock.instant().minus(SPEND_REPLAY), this::followAnnouncement));
        from.putAll(readToEnd(transitionPartitions, null, this::follow));
        from.putAll(readToEnd(spendPartitions, clock.instant().minus(SPEND_REPLAY), this::follow));
        // The producer learns both topics' partitions now: announcements are sent from the decision writer's thread, where a
        // first send would otherwise wait for metadata and hold up every decision behind it.
        producer.partitionsFor(settings.decisionsTopic());
        producer.partitionsFor(settings.eventsTopic());
        List<TopicPartition> followed = new ArrayList<>(transitionPartitions);
        followed.addAll(spendPartitions);
        if (settings.shared()) {
            followed.addAll(decisionPartitions);
            followed.addAll(eventPartitions);
        }
        // Following starts where each read stopped: what was written meanwhile is read, not skipped.
        follower.assign(followed);
        followed.forEach(tp -> follower.seek(tp, from.get(tp)));
        return decisionPartitions;
    }

    /** With several deciding gateways: publishes how far each decisions partition is applied, for {@link Ownership}. */
    private void publishPositions(List<TopicPartition> decisionPartitions) {
        for (TopicPartition tp : decisionPartitions) {
            followedTo.put(tp, follower.position(tp));
        }
    }

    /**
     * Makes the announcements not made yet (after a restore, or a takeover of decisions partition
     * {@code partition}; null: every agent this instance decides for).
     */
    private void announceAll(Integer partition) {
        Instant now = clock.instant();
        Ownership owners = ownership;
        for (Entry entry : agents.values()) {
            if (partition != null && owners != null && owners.partition(entry.state.agentId()) != partition) {
                continue;
            }
            synchronized (entry) {
                announce(entry, policy.of(entry.state.fleet(), entry.state.band()), now);
            }
        }
    }

    /** The topic's partitions, waiting (not ready, saying why) for as long as it does not exist or Kafka does not answer. */
    private List<TopicPartition> partitions(String topic) {
        while (running) {
            try {
                List<PartitionInfo> infos = follower.partitionsFor(topic, Duration.ofSeconds(5));
                if (infos != null && !infos.isEmpty()) {
                    return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
                }
                notReadyBecause = "topic " + topic + " does not exist yet: create it (asr ingest --create-topics), or check asr.topic.*";
            } catch (org.apache.kafka.common.errors.TimeoutException e) {
                notReadyBecause = "no answer from Kafka about topic " + topic + " (" + e.getMessage() + ")";
            }
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WakeupException();
            }
        }
        throw new WakeupException();
    }

    /** Reads {@code partitions} from {@code since} (null: the start) to their ends as of now; those ends. */
    private Map<TopicPartition, Long> readToEnd(List<TopicPartition> partitions, Instant since,
            Consumer<ConsumerRecord<byte[], byte[]>> apply) {
        follower.assign(partitions);
        Map<TopicPartition, Long> ends = follower.endOffsets(partitions);
        if (since == null) {
            follower.seekToBeginning(partitions);
        } else {
            Map<TopicPartition, Long> times = new HashMap<>();
            partitions.forEach(tp -> times.put(tp, since.toEpochMilli()));
            Map<TopicPartition, OffsetAndTimestamp> offsets = follower.offsetsForTimes(times);
            for (TopicPartition tp : partitions) {
                OffsetAndTimestamp at = offsets.get(tp);
                follower.seek(tp, at == null ? ends.get(tp) : at.offset());
            }
        }
        while (running && partitions.stream().anyMatch(tp -> follower.position(tp) < ends.get(tp))) {
            for (ConsumerRecord<byte[], byte[]> record : follower.poll(Duration.ofMillis(200))) {
                if (record.offset() < ends.get(new TopicPartition(record.topic(), record.partition()))) {
                    apply.accept(record);
                }
            }
        }
        return ends;
    }

    private void followDecision(ConsumerRecord<byte[], byte[]> record) {
        AuthorizationDecision decision;
        try {
            decision = decisions.decode(record.topic(), record.value());
        } catch (BadRecordException e) {
            log.warn("Skipping a decision record that cannot be read ({}-{}@{}): {}", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
            return;
        }
        Entry entry = entry(decision.getFleet(), decision.getAgentId());
        synchronized (entry) {
            Outcome applied = remembered.get(entry, decision.getAuthorizationId());
            if (decision.getVerdict() != Verdict.RELEASE && applied != null
                    && applied.decidedAt().toEpochMilli() == decision.getDecidedAt().toEpochMilli()) {
                // Applied already: this instance's own decision, applied when Kafka acknowledged it (several deciding gateways;
                // the topic keeps decided_at to the millisecond).
                return;
            }
            BandAllowance allowance = policy.of(decision.getFleet(), entry.state.band());
            switch (decision.getVerdict()) {
                case ALLOW -> entry.state = entry.spentBeforeAllowed.remove(decision.getAuthorizationId()) != null
                        ? entry.state.at(decision.getDecidedAt(), allowance)
                        : entry.state.at(decision.getDecidedAt(), allowance).withHold(new Hold(decision.getAuthorizationId(),
                                decision.getAmountMicros(), decision.getHoldExpiresAt()));
                case RELEASE -> entry.state = entry.state.withoutHold(decision.getAuthorizationId());
                default -> { }
            }
            if (decision.getVerdict() != Verdict.RELEASE && decision.getDecidedAt().isAfter(clock.instant().minus(IDEMPOTENCY_WINDOW))) {
                CashView view = new CashView(decision.getBand(), decision.getPeriodStart(), decision.getPeriodEnd(), decision.getLimitMicros(),
                        decision.getSpentMicros(), decision.getHeldMicros());
                remember(entry, new Outcome(decision.getAuthorizationId(), decision(decision.getVerdict()), reason(decision.getReason()), view,
                        decision.getDecidedAt(), decision.getHoldExpiresAt()));
            }
        }
        forget(clock.instant());
    }

    private static Decision decision(Verdict verdict) {
        return switch (verdict) {
            case ALLOW, RELEASE -> Decision.ALLOW;
            case REVIEW -> Decision.REVIEW;
            case DENY -> Decision.DENY;
        };
    }

    private static Reason reason(String code) {
        for (Reason reason : Reason.values()) {
            if (reason.code().equals(code)) {
                return reason;
            }
        }
        return Reason.INVALID_REQUEST;
    }

    /** A spend or band transition record: applied to its agent. */
    private void follow(ConsumerRecord<byte[], byte[]> record) {
        if (record.topic().equals(settings.decisionsTopic())) {
            followDecision(record);
            return;
        }
        if (record.topic().equals(settings.eventsTopic())) {
            followAnnouncement(record);
            return;
        }
        try {
            if (record.topic().equals(topics.spend().name())) {
                SpendEvent spend = topics.spend().valueSerde().deserializer().deserialize(record.topic(), record.value());
                if (seenSpend.put(key(spend.getFleet(), spend.getAgentId()) + '\u001f' + spend.getEventId(), Boolean.TRUE) != null) {
                    return; // a resend (SPEC §6: by event_id): its spend counted already
                }
                Entry entry = entry(spend.getFleet(), spend.getAgentId());
                synchronized (entry) {
                    BandAllowance allowance = policy.of(spend.getFleet(), entry.state.band());
                    String authorization = spend.getAuthorizationId();
                    if (authorization != null && settings.shared() && entry.state.holds().get(authorization) == null
                            && !remembered.contains(entry, authorization)) {
                        spentBeforeAllowed(entry, authorization, clock.instant());
                    }
                    entry.state = entry.state.withSpend(spend.getCostMicros(), spend.getOccurredAt(), authorization, allowance);
                    Instant now = clock.instant();
                    entry.rate.add(spend.getCostMicros(), spend.getOccurredAt(), now);
                    entry.active = spend.getOccurredAt().isAfter(now) ? now : spend.getOccurredAt();
                    announce(entry, allowance, clock.instant());
                }
            } else {
                BandTransition transition = topics.bandTransitions().valueSerde().deserializer().deserialize(record.topic(), record.value());
                Entry entry = entry(transition.getFleet(), transition.getAgentId());
                synchronized (entry) {
                    Band before = entry.state.band();
                    entry.state = entry.state.withBand(transition.getToBand());
                    BandAllowance allowance = policy.of(transition.getFleet(), entry.state.band());
                    if (before != entry.state.band() && !restoring && decides(transition.getAgentId())) {
                        CashView view = entry.state.view(allowance);
                        emit(event("tier:" + transition.getFleet() + "/" + transition.getTransitionId(), entry.state, AllowanceEventType.TIER_CHANGED,
                                before, null, view, clock.instant()));
                    }
                    announce(entry, allowance, clock.instant());
                }
            }
        } catch (BadRecordException e) {
            log.debug("Skipping a record the allowances cannot read ({}-{}@{}): {}", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
        }
    }

    /**
     * Notes (under the entry's lock) that {@code authorizationId}'s spend came before its ALLOW was
     * read; forgets such notes older than a hold time (the hold would have expired by now).
     */
    private void spentBeforeAllowed(Entry entry, String authorizationId, Instant now) {
        Instant before = now.minus(settings.holdTime());
        var oldest = entry.spentBeforeAllowed.entrySet().iterator();
        while (oldest.hasNext() && oldest.next().getValue().isBefore(before)) {
            oldest.remove();
        }
        entry.spentBeforeAllowed.put(authorizationId, now);
    }

    /** Announces the thresholds crossed and the exhaustion not announced yet this period (not while restoring). */
    private void announce(Entry entry, BandAllowance allowance, Instant now) {
        if (restoring || !decides(entry.state.agentId())) {
            return;
        }
        AgentAllowance state = entry.state;
        CashView view = state.view(allowance);
        int bits = 0;
        for (int percent : Thresholds.newlyCrossed(view, state.announced())) {
            emit(event(announcementId(state, Integer.toString(percent)), state, AllowanceEventType.THRESHOLD_CROSSED, null, percent, view, now));
            bits |= Thresholds.bit(percent);
        }
        if (Thresholds.newlyExhausted(view, state.announced())) {
            emit(event(announcementId(state, "exhausted"), state, AllowanceEventType.EXHAUSTED, null, null, view, now));
            bits |= Thresholds.EXHAUSTED_BIT;
        }
        if (bits != 0) {
            entry.state = state.withAnnounced(bits);
        }
    }

    private static String announcementId(AgentAllowance state, String what) {
        return state.fleet() + "/" + state.agentId() + "@" + state.periodStart().toEpochMilli() + ":" + what;
    }

    private static AllowanceEvent event(String id, AgentAllowance state, AllowanceEventType type, Band from, Integer percent, CashView view,
            Instant now) {
        return AllowanceEvent.newBuilder().setEventId(id).setAgentId(state.agentId()).setFleet(state.fleet()).setType(type)
                .setBand(state.band()).setFromBand(from).setPercent(percent).setLimitMicros(view.limitMicros())
                .setSpentMicros(view.spentMicros()).setHeldMicros(view.heldMicros()).setPeriodStart(state.periodStart()).setOccurredAt(now)
                .build();
    }

    /** Sends an announcement without waiting: a lost one is made again after a restart (its id is the same). */
    private void emit(AllowanceEvent event) {
        producer.send(new ProducerRecord<>(settings.eventsTopic(), null, event.getOccurredAt().toEpochMilli(), event.getAgentId(),
                events.encode(settings.eventsTopic(), event)), (metadata, error) -> {
                    if (error != null) {
                        log.warn("An allowance event could not be written ({}): {}", event.getEventId(), error.getMessage());
                    }
                });
    }

    /** An announcement made before a restart: not made again this period. */
    private void followAnnouncement(ConsumerRecord<byte[], byte[]> record) {
        AllowanceEvent event;
        try {
            event = events.decode(record.topic(), record.value());
        } catch (BadRecordException e) {
            return;
        }
        if (event.getType() == AllowanceEventType.TIER_CHANGED) {
            return;
        }
        Entry entry = entry(event.getFleet(), event.getAgentId());
        synchronized (entry) {
            BandAllowance allowance = policy.of(event.getFleet(), entry.state.band());
            AgentAllowance state = entry.state.at(event.getPeriodStart(), allowance);
            if (state.periodStart().equals(event.getPeriodStart())) {
                state = state.withAnnounced(event.getType() == AllowanceEventType.EXHAUSTED ? Thresholds.EXHAUSTED_BIT
                        : Thresholds.bit(event.getPercent()));
            }
            entry.state = state;
        }
    }

    @Override
    public void close() {
        Ownership owners = ownership;
        if (owners != null) {
            owners.close();
        }
        running = false;
        follower.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        commits.close();
        producer.close(Duration.ofSeconds(10));
    }
}
