package dev.asr.streams.processor;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import dev.asr.event.BandTransition;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.Topics;
import dev.asr.schemas.serde.BadRecordException;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.bands.BandRules;
import dev.asr.streams.ledger.SettledFilter;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.state.AsrStores;
import dev.asr.streams.state.WriteBackStore;
import dev.asr.streams.validation.EventValidator;
import dev.asr.streams.validation.EventValidator.Problem;
import dev.asr.streams.validation.Rejection;
import dev.asr.streams.window.Basket;
import dev.asr.streams.window.Bucket;
import dev.asr.streams.window.Figures;
import dev.asr.streams.window.RollingViews;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.BytesSerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ContextualProcessor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The heart of the topology, one instance per input partition (an agent's spend and outcomes
 * arrive in the same one): decodes and validates, de-duplicates, keeps the task ledger, sums
 * tumbling buckets, and when a bucket closes rolls it into each agent's views, emits the basket
 * and evaluates the band.
 *
 * <p>Time is event time ({@code occurred_at}). The partition's clock is the highest event time
 * seen; when the partition has been quiet for the grace period it moves on with the wall clock, so
 * buckets close and tasks time out without new data. A bucket closes once the clock passes its end plus the grace period;
 * an event for a closed bucket is late: counted, not applied.
 */
public final class AgentProcessor extends ContextualProcessor<byte[], byte[], String, Output> {

    private static final byte[] PRESENT = new byte[0];
    private static final String CLOCK_KEY = "clock";

    private final StreamsSettings settings;
    private final PipelineCounters counters;
    private final EventValidator validator;
    private final String spendTopic;
    private final String outcomesTopic;
    private final Deserializer<SpendEvent> spendDeserializer;
    private final Deserializer<OutcomeEvent> outcomeDeserializer;
    private final long bucketMs;
    private final long graceMs;
    private final long timeoutMs;
    private final long settledRetentionMs;
    private final long[] viewLengths;
    private final int bandView;
    private final long longestViewMs;

    private WindowStore<String, byte[]> dedup;
    private WriteBackStore<String, TaskState> openTasks;
    private WindowStore<String, byte[]> settledTasks;
    private WriteBackStore<Bytes, Bucket> buckets;
    private WriteBackStore<String, RollingViews> agents;
    private KeyValueStore<String, byte[]> clock;

    /** Highest event time seen; Long.MIN_VALUE before the first event. */
    private long highWater = Long.MIN_VALUE;
    /** Every bucket ending at or before this has closed; events before it are late. */
    private long closedUpTo = Long.MIN_VALUE;
    private long wallAtHighWater;
    /** No open task can time out before this (derived; Long.MIN_VALUE: scan to find out). */
    private long nextDeadline = Long.MIN_VALUE;
    /** Spend of each agent's open tasks (derived from the ledger at start, kept up to date after). */
    private final Map<String, long[]> openSpend = new HashMap<>();
    /** Which tasks may be in the settled store: most first spends are of new tasks and skip its fetch. */
    private final SettledFilter settledFilter;

    public AgentProcessor(StreamsSettings settings, Topics topics, PipelineCounters counters) {
        this.settings = settings;
        this.counters = counters;
        this.validator = new EventValidator(settings.currency(), settings.maxClockSkew());
        this.spendTopic = topics.spend().name();
        this.outcomesTopic = topics.outcomes().name();
        this.spendDeserializer = topics.spend().valueSerde().deserializer();
        this.outcomeDeserializer = topics.outcomes().valueSerde().deserializer();
        this.bucketMs = settings.bucket().toMillis();
        this.graceMs = settings.grace().toMillis();
        this.timeoutMs = settings.taskTimeout().toMillis();
        this.settledRetentionMs = settings.settledRetention().toMillis();
        this.viewLengths = settings.views().stream().mapToLong(v -> v.length().toMillis()).toArray();
        this.bandView = settings.views().indexOf(settings.view(settings.bandView()));
        this.longestViewMs = settings.longestView().toMillis();
        this.settledFilter = new SettledFilter(Math.max(bucketMs, settledRetentionMs / 4));
    }

    @Override
    public void init(ProcessorContext<String, Output> context) {
        super.init(context);
        dedup = context.getStateStore(AsrStores.DEDUP);
        openTasks = context.getStateStore(AsrStores.OPEN_TASKS);
        settledTasks = context.getStateStore(AsrStores.SETTLED_TASKS);
        buckets = context.getStateStore(AsrStores.BUCKETS);
        agents = context.getStateStore(AsrStores.AGENTS);
        clock = context.getStateStore(AsrStores.CLOCK);
        // A task revived after an error re-initializes this same instance: derive everything again.
        highWater = Long.MIN_VALUE;
        closedUpTo = Long.MIN_VALUE;
        nextDeadline = Long.MIN_VALUE;
        openSpend.clear();
        byte[] saved = clock.get(CLOCK_KEY);
        if (saved != null) {
            ByteBuffer in = ByteBuffer.wrap(saved);
            highWater = in.getLong();
            closedUpTo = in.getLong();
        }
        openTasks.forEachResident((key, task) -> addOpenSpend(TaskState.agentOf(key), task.spend));
        settledFilter.clear();
        try (KeyValueIterator<Windowed<String>, byte[]> settled = settledTasks.all()) {
            settled.forEachRemaining(entry -> settledFilter.add(entry.key.key(), entry.key.window().start()));
        }
        wallAtHighWater = context.currentSystemTimeMs();
        context.schedule(settings.wallClockInterval(), PunctuationType.WALL_CLOCK_TIME, this::onWallClock);
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        RecordMetadata source = context().recordMetadata().orElseThrow();
        long now = context().currentSystemTimeMs();
        if (record.value() == null) {
            deadLetter(record, source, Rejection.MISSING_VALUE, "the record has no value (a tombstone); spend and outcome"
                    + " topics take events only");
            return;
        }
        String key = record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8);
        try {
            if (source.topic().equals(spendTopic)) {
                SpendEvent event = spendDeserializer.deserialize(source.topic(), record.value());
                Problem problem = validator.check(key, event, now);
                if (problem != null) {
                    deadLetter(record, source, problem.rejection(), problem.message());
                    return;
                }
                applySpend(event, now);
            } else if (source.topic().equals(outcomesTopic)) {
                OutcomeEvent event = outcomeDeserializer.deserialize(source.topic(), record.value());
                Problem problem = validator.check(key, event, now);
                if (problem != null) {
                    deadLetter(record, source, problem.rejection(), problem.message());
                    return;
                }
                applyOutcome(event, now);
            } else {
                throw new IllegalStateException("record from unexpected topic " + source.topic());
            }
        } catch (BadRecordException e) {
            deadLetter(record, source, Rejection.of(e.reason()), e.getMessage());
            return;
        }
        counters.recordProcessed();
        closeDueBuckets(highWater);
    }

    /**
     * Moves the clock, or refuses the event as late (counted in the agent's open bucket, not applied).
     * Called once the event is known not to be a duplicate. True when the event should be applied.
     */
    private boolean onTime(String agentId, String fleet, long eventTime, long now) {
        if (highWater == Long.MIN_VALUE) {
            // The first event: buckets from its time minus the grace period are open.
            closedUpTo = floor(eventTime - graceMs);
            highWater = eventTime;
            wallAtHighWater = now;
            saveClock();
        }
        if (eventTime < closedUpTo) {
            counters.recordLate();
            long open = Math.max(floor(highWater), closedUpTo);
            Bytes key = Bucket.key(open, agentId);
            Bucket current = bucket(key, fleet);
            current.figures.lateRecords++;
            buckets.put(key, current);
            return false;
        }
        if (eventTime > highWater) {
            // Saved with each bucket close only: a restart may resume with an older high water, which
            // delays no close (the replayed events move it past each threshold at the same event).
            highWater = eventTime;
            wallAtHighWater = now;
        }
        return true;
    }

    /**
     * De-duplication follows the ledger: an open task knows the ids of its spend, a settled task's
     * marker keeps them, and an outcome for a settled task is a duplicate by definition. Only spend
     * that names no task, or a settled one, needs the event-id store.
     */
    private void applySpend(SpendEvent event, long now) {
        String agentId = event.getAgentId();
        String eventId = event.getEventId();
        long eventTime = event.getOccurredAt().toEpochMilli();
        TaskState task = null;
        String taskKey = null;
        if (event.getTaskId() != null) {
            taskKey = TaskState.key(agentId, event.getTaskId());
            task = openTasks.get(taskKey);
            if (task != null) {
                if (task.hasSeen(eventId)) {
                    counters.recordDuplicate();
                    return;
                }
            } else {
                List<String> settledIds = settledEventIds(taskKey);
                if (settledIds == null) {
                    task = new TaskState();
                } else if (settledIds.contains(eventId)) {
                    counters.recordDuplicate();
                    return;
                }
            }
        }
        if (task == null && !firstSight(eventId, eventTime)) {
            counters.recordDuplicate();
            return;
        }
        if (!onTime(agentId, event.getFleet(), eventTime, now)) {
            return;
        }
        long start = floor(eventTime);
        Bytes bucketKey = Bucket.key(start, agentId);
        Bucket bucket = bucket(bucketKey, event.getFleet());
        bucket.figures.cashSpend += event.getCostMicros();
        if (task == null) {
            // No task, or its task already settled: unattributed spend, counted at its own time.
            bucket.figures.addAction(event.getKind(), event.getCostMicros(), event.getInputTokens(), event.getOutputTokens());
            bucket.figures.unattributedSpend += event.getCostMicros();
        } else {
            task.add(event, eventTime);
            openTasks.put(taskKey, task);
            addOpenSpend(agentId, event.getCostMicros());
            nextDeadline = Math.min(nextDeadline, task.lastActivity + timeoutMs);
        }
        buckets.put(bucketKey, bucket);
    }

    private void applyOutcome(OutcomeEvent event, long now) {
        String agentId = event.getAgentId();
        long eventTime = event.getOccurredAt().toEpochMilli();
        String taskKey = TaskState.key(agentId, event.getTaskId());
        TaskState open = openTasks.get(taskKey);
        if (open == null && settledEventIds(taskKey) != null) {
            counters.recordDuplicate();
            return;
        }
        if (!onTime(agentId, event.getFleet(), eventTime, now)) {
            return;
        }
        TaskState task = open == null ? new TaskState() : open;
        long start = floor(eventTime);
        Bytes bucketKey = Bucket.key(start, agentId);
        Bucket bucket = bucket(bucketKey, event.getFleet());
        settle(bucket.figures, task, event.getStatus(), event.getValueMicros(), event.getHumanInterventions());
        buckets.put(bucketKey, bucket);
        if (open != null) {
            openTasks.delete(taskKey);
            addOpenSpend(agentId, -task.spend);
        }
        markSettled(taskKey, task, eventTime);
    }

    /** True the first time an event id is seen within {@code asr.dedup.retention}; remembers it. */
    private boolean firstSight(String eventId, long eventTime) {
        if (dedup.fetch(eventId, eventTime) != null) {
            return false;
        }
        dedup.put(eventId, PRESENT, eventTime);
        return true;
    }

    /** Counts a settled task into a bucket; {@code status} null means TIMED_OUT. */
    private static void settle(Figures f, TaskState task, OutcomeStatus status, long value, int interventions) {
        f.spend += task.spend;
        f.actions += task.actions;
        f.inputTokens += task.inputTokens;
        f.outputTokens += task.outputTokens;
        f.idleSpend += task.idleSpend;
        f.humanSpend += task.humanSpend;
        f.settledTasks++;
        f.value += value;
        f.humanInterventions += interventions;
        if (status == null) {
            f.timedOutTasks++;
            return;
        }
        switch (status) {
            case SUCCEEDED -> f.succeededTasks++;
            case FAILED -> f.failedTasks++;
            case ABANDONED -> f.abandonedTasks++;
        }
        if (status == OutcomeStatus.SUCCEEDED && interventions == 0) {
            f.autonomousTasks++;
            f.autonomousSpend += task.spend;
            f.autonomousValue += value;
        }
    }

    /**
     * The event ids of a task settled within the retention, or null when it has not settled.
     * Settlement times are never past the high water, which stays below the next close (closed-up-to
     * + bucket + grace).
     */
    private List<String> settledEventIds(String taskKey) {
        if (closedUpTo == Long.MIN_VALUE || !settledFilter.mightContain(taskKey)) {
            return null;
        }
        long latest = closedUpTo + 2 * bucketMs + graceMs;
        try (WindowStoreIterator<byte[]> found = settledTasks.fetch(taskKey, settledFrom(), latest)) {
            return found.hasNext() ? TaskState.eventIds(found.next().value) : null;
        }
    }

    /** The earliest settlement {@link #settledEventIds} still looks for. */
    private long settledFrom() {
        return closedUpTo + 2 * bucketMs + graceMs - settledRetentionMs - bucketMs;
    }

    /** Remembers a settled task's spend ids, so later spend for it counts as unattributed, or duplicate. */
    private void markSettled(String taskKey, TaskState task, long time) {
        settledTasks.put(taskKey, task.eventIdsBytes(), time);
        settledFilter.add(taskKey, time);
    }

    private void onWallClock(long wallNow) {
        if (highWater == Long.MIN_VALUE) {
            return;
        }
        closeDueBuckets(highWater + Math.max(0, wallNow - wallAtHighWater - graceMs));
    }

    private void closeDueBuckets(long now) {
        boolean closed = false;
        while (closedUpTo != Long.MIN_VALUE && now >= closedUpTo + bucketMs + graceMs) {
            closeBucket(closedUpTo + bucketMs);
            closedUpTo += bucketMs;
            closed = true;
        }
        if (closed) {
            saveClock();
        }
    }

    /** Closes the bucket ending at {@code end}: times out tasks, rolls the views, emits, rates. */
    private void closeBucket(long end) {
        long start = end - bucketMs;
        expireTasks(end);
        settledFilter.dropBefore(settledFrom());
        Set<String> agentIds = new TreeSet<>();
        agents.forEachResident((agentId, views) -> agentIds.add(agentId));
        for (KeyValue<Bytes, Bucket> active : buckets.prefix(Bucket.prefix(start), new BytesSerializer())) {
            agentIds.add(Bucket.agentOf(active.key));
        }
        for (String agentId : agentIds) {
            closeAgent(agentId, start, end);
        }
    }

    private void closeAgent(String agentId, long start, long end) {
        RollingViews state = agents.get(agentId);
        Bucket closing = buckets.get(Bucket.key(start, agentId));
        if (state == null) {
            if (closing == null) {
                return;
            }
            state = new RollingViews(closing.fleet, Band.UNRATED, viewLengths);
        } else if (!state.hasLengths(viewLengths)) {
            state = rebuild(agentId, state, start);
        }
        if (closing != null) {
            state.fleet = closing.fleet;
        }
        for (int i = 0; i < viewLengths.length; i++) {
            if (closing != null) {
                state.views[i].add(closing.figures);
            }
            Bucket leaving = buckets.get(Bucket.key(start - viewLengths[i], agentId));
            if (leaving != null) {
                state.views[i].subtract(leaving.figures);
            }
        }
        buckets.delete(Bucket.key(start - longestViewMs, agentId));

        long[] openHolder = openSpend.get(agentId);
        long open = openHolder == null ? 0 : openHolder[0];
        Figures deciding = state.views[bandView];
        Band band = BandRules.evaluate(state.band,
                new BandRules.Evidence(deciding.settledTasks, deciding.spend, deciding.autonomousSpend),
                settings.bands().forFleet(state.fleet));
        for (int i = 0; i < viewLengths.length; i++) {
            Basket.Window window = new Basket.Window(agentId, state.fleet, settings.views().get(i).name(),
                    Instant.ofEpochMilli(end - viewLengths[i]), Instant.ofEpochMilli(end), settings.currency());
            AgentWindowMetrics metrics = Basket.metrics(window, state.views[i], open, band, 1);
            context().forward(new Record<String, Output>(agentId, new Output.Metrics(metrics), end, new RecordHeaders()));
            counters.recordMetrics();
        }
        if (band != state.band) {
            context().forward(new Record<String, Output>(agentId,
                    new Output.Transition(transition(agentId, state, band, deciding, end)), end, new RecordHeaders()));
            counters.recordTransition();
            state.band = band;
        }
        if (state.allEmpty() && open == 0) {
            // Silent for longer than the longest view: the agent is gone.
            agents.delete(agentId);
        } else {
            agents.put(agentId, state);
        }
    }

    private BandTransition transition(String agentId, RollingViews state, Band to, Figures deciding, long end) {
        long length = viewLengths[bandView];
        return BandTransition.newBuilder()
                .setTransitionId(agentId + "@" + end)
                .setAgentId(agentId)
                .setFleet(state.fleet)
                .setFromBand(state.band)
                .setToBand(to)
                .setDirection(BandRules.direction(state.band, to))
                .setAsr(deciding.spend == 0 ? null : (double) deciding.autonomousSpend / deciding.spend)
                .setSettledTasks(deciding.settledTasks)
                .setSpendMicros(deciding.spend)
                .setAutonomousSpendMicros(deciding.autonomousSpend)
                .setWindow(settings.bandView())
                .setWindowStart(Instant.ofEpochMilli(end - length))
                .setWindowEnd(Instant.ofEpochMilli(end))
                .setOccurredAt(Instant.ofEpochMilli(end))
                .build();
    }

    /** The views were saved under other lengths (asr.views changed): sum them again from the buckets. */
    private RollingViews rebuild(String agentId, RollingViews old, long closingStart) {
        RollingViews state = new RollingViews(old.fleet, old.band, viewLengths);
        for (int i = 0; i < viewLengths.length; i++) {
            for (long s = closingStart - viewLengths[i] + bucketMs; s < closingStart; s += bucketMs) {
                Bucket bucket = buckets.get(Bucket.key(s, agentId));
                if (bucket != null) {
                    state.views[i].add(bucket.figures);
                }
            }
        }
        return state;
    }

    /** Settles as TIMED_OUT every open task whose deadline falls before {@code end}. */
    private void expireTasks(long end) {
        if (nextDeadline != Long.MIN_VALUE && end <= nextDeadline) {
            return;
        }
        List<KeyValue<String, TaskState>> expired = new ArrayList<>();
        long[] earliestRemaining = {Long.MAX_VALUE};
        openTasks.forEachResident((key, task) -> {
            long deadline = task.lastActivity + timeoutMs;
            if (deadline < end) {
                expired.add(KeyValue.pair(key, task));
            } else {
                earliestRemaining[0] = Math.min(earliestRemaining[0], deadline);
            }
        });
        nextDeadline = earliestRemaining[0];
        for (KeyValue<String, TaskState> entry : expired) {
            String agentId = TaskState.agentOf(entry.key);
            long deadline = entry.value.lastActivity + timeoutMs;
            // Deadlines before `end` fall in buckets still open: earlier ones were expired at earlier closes.
            long start = Math.max(floor(deadline), end - bucketMs);
            Bytes bucketKey = Bucket.key(start, agentId);
            Bucket bucket = bucket(bucketKey, entry.value.fleet);
            settle(bucket.figures, entry.value, null, 0, 0);
            buckets.put(bucketKey, bucket);
            openTasks.delete(entry.key);
            addOpenSpend(agentId, -entry.value.spend);
            markSettled(entry.key, entry.value, deadline);
            counters.recordTimedOut();
        }
    }

    /** Keeps each agent's spend on open tasks, without boxing a Long per event. */
    private void addOpenSpend(String agentId, long delta) {
        long[] holder = openSpend.get(agentId);
        if (holder == null) {
            openSpend.put(agentId, new long[] {delta});
        } else {
            holder[0] += delta;
        }
    }

    /** The agent's bucket under {@code key}, or a new one; written back with {@code buckets.put(key, ...)}. */
    private Bucket bucket(Bytes key, String fleet) {
        Bucket existing = buckets.get(key);
        if (existing == null) {
            return new Bucket(fleet, new Figures());
        }
        return existing.fleet.equals(fleet) ? existing : new Bucket(fleet, existing.figures);
    }

    private void saveClock() {
        clock.put(CLOCK_KEY, ByteBuffer.allocate(2 * Long.BYTES).putLong(highWater).putLong(closedUpTo).array());
    }

    private long floor(long time) {
        return Math.floorDiv(time, bucketMs) * bucketMs;
    }

    private void deadLetter(Record<byte[], byte[]> record, RecordMetadata source, Rejection rejection, String message) {
        RecordHeaders headers = new RecordHeaders(record.headers().toArray());
        headers.add(DeadLetters.REASON, DeadLetters.utf8(rejection.code()));
        headers.add(DeadLetters.ERROR, DeadLetters.utf8(message));
        headers.add(DeadLetters.SOURCE_TOPIC, DeadLetters.utf8(source.topic()));
        headers.add(DeadLetters.SOURCE_PARTITION, DeadLetters.utf8(Integer.toString(source.partition())));
        headers.add(DeadLetters.SOURCE_OFFSET, DeadLetters.utf8(Long.toString(source.offset())));
        context().forward(new Record<String, Output>(null, new Output.DeadLetter(record.key(), record.value()),
                record.timestamp(), headers));
        counters.recordDeadLetter(rejection);
    }
}
