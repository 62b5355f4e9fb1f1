package dev.asr.streams.processor;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.Durations;
import dev.asr.schemas.Topics;
import dev.asr.schemas.rules.EventRules;
import dev.asr.schemas.rules.Rejection;
import dev.asr.schemas.rules.Violation;
import dev.asr.schemas.serde.BadRecordException;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.agent.Agent;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.bands.BandRules;
import dev.asr.streams.bands.Evidence;
import dev.asr.streams.clock.AgentClock;
import dev.asr.streams.figures.Basket;
import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;
import dev.asr.streams.fleet.FleetInput;
import dev.asr.streams.fleet.PartitionWatermark;
import dev.asr.streams.ledger.TaskLedger;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.state.AgentTable;
import dev.asr.streams.state.AsrStores;
import dev.asr.streams.state.ClosedBucketStore;
import dev.asr.streams.state.SeenStore;
import dev.asr.streams.state.WriteBackStore;
import dev.asr.streams.state.codec.AgentCodec;
import dev.asr.streams.window.AgentWindows;
import dev.asr.streams.window.RollingViews;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The agent side of the topology, one instance per input partition (an agent's spend and outcomes
 * arrive in the same one). For each event: decode, check the {@link EventRules}, dead-letter what
 * breaks one, place it on its agent's {@link AgentClock}, ask the {@link TaskLedger} what it is,
 * count it into the agent's windows; then close the buckets the clock has passed, write their rows,
 * rate the band and tell the fleet roll-up. The rules live in those classes; this one holds the
 * state they work on and talks to Kafka.
 */
public final class AgentProcessor extends ContextualProcessor<byte[], byte[], String, Output> {

    private static final Duration WATERMARK_INTERVAL = Duration.ofSeconds(1);

    private final StreamsSettings settings;
    private final PipelineCounters.Cell counters;
    private final EventRules rules;
    private final int inputPartitions;
    private final String spendTopic;
    private final String outcomesTopic;
    private final Deserializer<SpendEvent> spendDecoder;
    private final Deserializer<OutcomeEvent> outcomeDecoder;
    private final long bucketMs;
    private final long graceMs;
    private final long longestViewMs;
    private final long[] viewLengths;
    private final int bandView;
    private final long maxWaitMs;

    private AgentTable agents;
    private final List<Agent> viewsToRebuild = new ArrayList<>();
    /** The seen index is behind its log (a restore, a crash): brought up to date before the first record. */
    private boolean seenIndexBehind;
    private SeenStore seen;
    private ClosedBucketStore closedBuckets;
    private TaskLedger ledger;
    private PartitionWatermark watermark;
    private long watermarkSent;
    /** The front the silent agents were last moved on to. */
    private long pushedFront;
    private boolean watermarkMoved;
    private int partition;

    /** @param inputPartitions how many partitions the input topics have: the fleet roll-up waits for each */
    public AgentProcessor(StreamsSettings settings, Topics topics, PipelineCounters counters, int inputPartitions) {
        this.settings = settings;
        this.counters = counters.cell();
        this.rules = settings.events();
        this.inputPartitions = inputPartitions;
        this.spendTopic = topics.spend().name();
        this.outcomesTopic = topics.outcomes().name();
        this.spendDecoder = topics.spend().valueSerde().deserializer();
        this.outcomeDecoder = topics.outcomes().valueSerde().deserializer();
        this.bucketMs = settings.bucketMs();
        this.graceMs = settings.grace().toMillis();
        this.longestViewMs = settings.longestView().toMillis();
        this.viewLengths = settings.viewLengths();
        this.bandView = settings.bandViewIndex();
        this.maxWaitMs = settings.fleetMaxWait().toMillis();
    }

    @Override
    public void init(ProcessorContext<String, Output> context) {
        super.init(context);
        // A task revived after an error re-initializes this same instance: everything is loaded again.
        long now = context.currentSystemTimeMs();
        WriteBackStore agentsStore = context.getStateStore(AsrStores.AGENTS);
        KeyValueStore<Bytes, byte[]> tasksStore = context.getStateStore(AsrStores.OPEN_TASKS);
        KeyValueStore<Bytes, byte[]> bucketsStore = context.getStateStore(AsrStores.BUCKETS);
        WriteBackStore seenLog = context.getStateStore(AsrStores.SEEN_LOG);
        KeyValueStore<Bytes, byte[]> seenIndex = context.getStateStore(AsrStores.SEEN_INDEX);
        closedBuckets = new ClosedBucketStore(bucketsStore);
        seen = new SeenStore(seenLog.logged(), seenIndex, context::currentSystemTimeMs, settings.dedupRetention().toMillis(),
                settings.settledRetention().toMillis());
        seenIndexBehind = seen.load();
        seenLog.beforeCommit(seen::flush);
        ledger = new TaskLedger(seen, seen, settings.taskTimeout().toMillis());
        agents = new AgentTable(agentsStore.logged(), tasksStore);
        viewsToRebuild.clear();
        agents.load(saved -> restore(saved.key, saved.value, now));
        agentsStore.beforeCommit(agents::writeBack);
watermark = new PartitionWatermark(maxWaitMs, settings.fleetStartWait().toMillis(), now);
        agents.all().forEach(agent -> watermark.add(agent.clock().closedUpTo()));
        watermarkSent = Long.MIN_VALUE;
        pushedFront = Long.MIN_VALUE;
        watermarkMoved = true;
        partition = context.taskId().partition();
        context.schedule(settings.wallClockInterval(), PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
        // A partition with no agent gets no records: it still tells the fleet roll-up, once grace has passed, that it holds nothing back.
        context.schedule(WATERMARK_INTERVAL, PunctuationType.WALL_CLOCK_TIME, wallNow -> sendWatermark());
    }

    /** An agent as saved; views saved under other lengths ({@code asr.views} changed) are rebuilt before the first record. */
    private Agent restore(AgentKey key, byte[] bytes, long now) {
        Agent agent = AgentCodec.decode(key, bytes, bucketMs, graceMs, now);
        if (!agent.windows().views().hasLengths(viewLengths)) {
            viewsToRebuild.add(agent);
        }
        return agent;
    }

    /**
     * Brings derived state up to date before the first record: the seen index to its log; views
     * saved under other lengths summed again from the buckets (and buckets no view reaches any more
     * deleted). Not in {@link #init}: stores may be written only while a record or a punctuation is
     * being processed (the changelog stamps each write with its time).
     */
    private void catchUp() {
        if (seenIndexBehind) {
            seen.catchUpIndex();
            seenIndexBehind = false;
        }
        for (Agent agent : viewsToRebuild) {
            agent.windows().rebuild(agent.key(), viewLengths, agent.clock().closedUpTo(), closedBuckets);
            agents.changed(agent);
        }
        viewsToRebuild.clear();
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        if (!viewsToRebuild.isEmpty() || seenIndexBehind) {
            catchUp();
        }
        RecordMetadata source = context().recordMetadata().orElseThrow();
        long now = context().currentSystemTimeMs();
        if (record.value() == null) {
            deadLetter(record, source, Rejection.MISSING_VALUE, "the record has no value (a tombstone); spend and outcome topics take"
                    + " events only");
            return;
        }
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        try {
            if (source.topic().equals(spendTopic)) {
                SpendEvent event = spendDecoder.deserialize(source.topic(), record.value());
                Violation violation = rules.check(event, now);
                if (violation == null) {
                    violation = EventRules.key(key, event.getAgentId());
                }
                if (violation != null) {
                    deadLetter(record, source, violation.rejection(), violation.message());
                } else {
                    onSpend(event, now, record, source);
                }
            } else if (source.topic().equals(outcomesTopic)) {
                OutcomeEvent event = outcomeDecoder.deserialize(source.topic(), record.value());
                Violation violation = rules.check(event, now);
                if (violation == null) {
                    violation = EventRules.key(key, event.getAgentId());
                }
                if (violation != null) {
                    deadLetter(record, source, violation.rejection(), violation.message());
                } else {
                    onOutcome(event, now, record, source);
                }
            } else {
                throw new IllegalStateException("record from unexpected topic " + source.topic());
            }
        } catch (BadRecordException e) {
            deadLetter(record, source, Rejection.of(e.reason()), e.getMessage());
        }
    }

    private void onSpend(SpendEvent e, long now, Record<byte[], byte[]> record, RecordMetadata source) {
        long at = e.getOccurredAt().toEpochMilli();
        Agent agent = agentOf(e.getFleet(), e.getAgentId(), at, now);
        if (tooLate(agent, at, record, source)) {
            return;
        }
        counters.processed();
        TaskLedger.SpendEntry entry = ledger.spend(agent.key(), agent, e, at, agent.clock().closedUpTo());
        if (entry instanceof TaskLedger.Duplicate) {
            duplicate(agent, at, now);
            return;
        }
        long cost = e.getCostMicros();
        Figures bucket = agent.windows().bucket(agent.clock().bucketOf(at));
        boolean exact = bucket.add(Figure.CASH_SPEND, cost);
        if (entry instanceof TaskLedger.AttributedToSettled toSettled) {
            Figures settledIn = agent.windows().bucket(toSettled.settlement().bucketStart());
            exact &= settledIn.addAction(e.getKind(), cost, e.getInputTokens(), e.getOutputTokens());
            if (toSettled.settlement().autonomous()) {
                exact &= settledIn.add(Figure.AUTONOMOUS_SPEND, cost);
            }
        } else if (entry instanceof TaskLedger.Unattributed) {
            exact &= bucket.addAction(e.getKind(), cost, e.getInputTokens(), e.getOutputTokens()) & bucket.add(Figure.UNATTRIBUTED_SPEND, cost);
        } else if (entry instanceof TaskLedger.Attributed attributed) {
            exact &= attributed.exact();
        }
        applied(agent, bucket, at, now, exact);
    }

    private void onOutcome(OutcomeEvent e, long now, Record<byte[], byte[]> record, RecordMetadata source) {
        long at = e.getOccurredAt().toEpochMilli();
        Agent agent = agentOf(e.getFleet(), e.getAgentId(), at, now);
        if (tooLate(agent, at, record, source)) {
            return;
        }
        counters.processed();
        long bucketStart = agent.clock().bucketOf(at);
        TaskLedger.OutcomeEntry entry = ledger.outcome(agent.key(), agent, e, at, bucketStart);
        if (entry instanceof TaskLedger.Settled settled) {
            Figures bucket = agent.windows().bucket(bucketStart);
            boolean exact = bucket.addSettled(settled.task().sums(), e.getStatus(), e.getValueMicros(), e.getHumanInterventions());
            applied(agent, bucket, at, now, exact);
        } else if (entry instanceof TaskLedger.SecondOutcome && agents.get(agent.key()) == agent) {
            // Counted nowhere, but a new event of the agent: its clock moves.
            counters.duplicate();
            agent.clock().observe(at, now);
            agents.changed(agent);
            closeDue(agent, agent.clock().now(now));
            sendWatermark();
        } else {
            duplicate(agent, at, now);
        }
    }

    /** A duplicate counts once already; its time still moves a known agent's clock. */
    private void duplicate(Agent agent, long at, long now) {
        counters.duplicate();
        if (agents.get(agent.key()) == agent && at > agent.clock().highWater()) {
            agent.clock().advance(at);
            agents.changed(agent);
            closeDue(agent, agent.clock().now(now));
            sendWatermark();
        }
    }

    /** The event's agent, or a new one whose clock starts at the event (added to the table once the event counts). */
    private Agent agentOf(String fleet, String agentId, long at, long now) {
        Agent agent = agents.get(new AgentKey(fleet, agentId));
        if (agent == null) {
            agent = new Agent(new AgentKey(fleet, agentId), AgentClock.start(bucketMs, graceMs, at, now),
                    new AgentWindows(viewLengths), Band.UNRATED).listenTo(agents);
        }
        return agent;
    }

    private boolean tooLate(Agent agent, long at, Record<byte[], byte[]> record, RecordMetadata source) {
        if (!agent.clock().isTooLate(at, longestViewMs)) {
            return false;
        }
        deadLetter(record, source, Rejection.TOO_LATE, "occurred_at is " + Instant.ofEpochMilli(at) + ", more than "
                + Durations.format(settings.longestView()) + " (the longest of asr.views) before agent " + agent.key() + "'s latest"
                + " event, " + Instant.ofEpochMilli(agent.clock().highWater()) + ": no open window can take it. Report events as they"
                + " happen; backfill old history into a fresh application.id");
        return true;
    }

    /** The event counted: late if its own bucket had closed; the agent's clock moves; due buckets close. */
    private void applied(Agent agent, Figures bucket, long at, long now, boolean exact) {
        if (agent.clock().isLate(at)) {
            exact &= bucket.add(Figure.LATE_RECORDS, 1);
            counters.late();
        }
        if (!exact) {
            counters.saturated();
        }
        if (agents.get(agent.key()) != agent) {
            agents.add(agent);
            watermark.add(agent.clock().closedUpTo());
            watermarkMoved = true;
        }
        agent.clock().observe(at, now);
        agents.changed(agent);
        closeDue(agent, agent.clock().now(now));
        sendWatermark();
    }

    private void onWallClock(long wallNow) {
        if (!viewsToRebuild.isEmpty() || seenIndexBehind) {
            catchUp();
        }
        seen.dropExpired(); // a slice of what is past the retention at each punctuation
        long front = watermark.front();
        for (Agent agent : new ArrayList<>(agents.all())) {
            closeDue(agent, agent.clock().now(wallNow, front, maxWaitMs));
        }
        sendWatermark();
    }

    /** Closes every bucket of {@code agent} its clock has passed (end plus grace): tasks time out, views roll, rows go out. */
    private void closeDue(Agent agent, long clockNow) {
        AgentClock clock = agent.clock();
        if (!clock.closeDue(clockNow)) {
            return;
        }
        while (clock.closeDue(clockNow)) {
            long before = clock.closedUpTo();
            long start = clock.closeNext();
            long end = start + bucketMs;
            for (TaskState task : ledger.expire(agent.key(), agent, start, end)) {
                if (!agent.windows().bucket(start).addSettled(task.sums(), null, 0, 0)) {
                    counters.saturated();
                }
                counters.timedOut();
            }
            AgentWindows.Closed closed = agent.windows().close(agent.key(), start, closedBuckets);
            if (!closed.exact()) {
                counters.saturated();
            }
            if (!closed.nothingToReport()) {
                emit(agent, end);
            }
            watermark.move(before, clock.closedUpTo());
            watermarkMoved = true;
            if (agent.gone()) {
                agents.remove(agent);
                watermark.remove(clock.closedUpTo());
                return;
            }
        }
        agents.changed(agent);
    }

    /** The agent's rows for the window ending at {@code end}, its band, and its share of the fleet's windows. */
    private void emit(Agent agent, long end) {
        AgentKey key = agent.key();
        RollingViews views = agent.windows().views();
        Figures deciding = views.sums(bandView);
        Band band = BandRules.evaluate(agent.band(), Evidence.of(deciding), settings.bands().forFleet(key.fleet()));
        long openSpend = agent.openSpend();
        long lastEventAt = agent.clock().highWater();
        for (int v = 0; v < views.count(); v++) {
            String view = settings.views().get(v).name();
            long start = end - views.length(v);
            Basket.Window window = new Basket.Window(key.agentId(), key.fleet(), view, start, end, settings.currency(), lastEventAt);
            AgentWindowMetrics row = Basket.metrics(window, views.sums(v), openSpend, band, 1);
            context().forward(new Record<String, Output>(key.agentId(), new Output.Metrics(row), end, new RecordHeaders()));
            counters.metrics();
            context().forward(new Record<String, Output>(key.fleet(), new Output.ToFleet(new FleetInput.Contribution(key.fleet(), view,
                    start, end, views.sums(v), openSpend, lastEventAt)), end, new RecordHeaders()));
        }
        if (band != agent.band()) {
            context().forward(new Record<String, Output>(key.agentId(), new Output.Transition(transition(agent, band, deciding, end)), end,
                    new RecordHeaders()));
            counters.transition();
            agent.band(band);
        }
    }

    private BandTransition transition(Agent agent, Band to, Figures deciding, long end) {
        Evidence evidence = Evidence.of(deciding);
        long length = viewLengths[bandView];
        return BandTransition.newBuilder()
                .setTransitionId(agent.key() + "@" + end)
                .setAgentId(agent.key().agentId())
                .setFleet(agent.key().fleet())
                .setFromBand(agent.band())
                .setToBand(to)
                .setDirection(BandRules.direction(agent.band(), to))
                .setAsr(evidence.asr())
                .setSettledTasks(evidence.settledTasks())
                .setSpendMicros(evidence.spendMicros())
                .setAutonomousSpendMicros(evidence.autonomousSpendMicros())
                .setWindow(settings.bandView())
                .setWindowStart(Instant.ofEpochMilli(end - length))
                .setWindowEnd(Instant.ofEpochMilli(end))
                .setOccurredAt(Instant.ofEpochMilli(end))
                .build();
    }

    /**
     * Tells the fleet roll-up how far this partition's agents have written their windows, when that
     * changed; first, agents left more than the max wait behind the partition's most advanced
     * agent are moved on ({@link AgentClock#now(long, long, long)}), so their rows come before the
     * fleet windows they belong to complete.
     */
    private void sendWatermark() {
        if (!watermarkMoved) {
            return;
        }
        long front = watermark.front();
        if (front > pushedFront) {
            pushedFront = front;
            long wallNow = context().currentSystemTimeMs();
            for (Agent agent : new ArrayList<>(agents.all())) {
                if (agent.clock().lags(front, maxWaitMs)) {
                    closeDue(agent, agent.clock().now(wallNow, front, maxWaitMs));
                }
            }
        }
        long value = watermark.value(context().currentSystemTimeMs());
        if (value == PartitionWatermark.UNKNOWN) {
            return; // asked again at the next punctuation
        }
        watermarkMoved = false;
        if (value != watermarkSent) {
            watermarkSent = value;
            // Keyed "" (no fleet is empty): the repartition drops records with a null key; the partitioner sends it everywhere.
            context().forward(new Record<String, Output>("", new Output.ToFleet(new FleetInput.Watermark(partition, inputPartitions, value)),
                    Math.max(0, context().currentStreamTimeMs()), new RecordHeaders()));
        }
    }

    private void deadLetter(Record<byte[], byte[]> record, RecordMetadata source, Rejection rejection, String message) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(DeadLetters.REASON, DeadLetters.utf8(rejection.code()));
        headers.add(DeadLetters.ERROR, DeadLetters.utf8(message));
        headers.add(DeadLetters.SOURCE_TOPIC, DeadLetters.utf8(source.topic()));
        headers.add(DeadLetters.SOURCE_PARTITION, DeadLetters.utf8(Integer.toString(source.partition())));
        headers.add(DeadLetters.SOURCE_OFFSET, DeadLetters.utf8(Long.toString(source.offset())));
        context().forward(new Record<String, Output>(null, new Output.DeadLetter(record.key(), record.value()), record.timestamp(), headers));
        counters.deadLetter(rejection);
    }
}
