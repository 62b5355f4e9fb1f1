package dev.asr.exporter.kafka;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.exporter.state.FleetState;
import dev.asr.schemas.Topics;
import dev.asr.schemas.ops.Reachability;
import dev.asr.schemas.registry.SchemaRegistryException;
import dev.asr.schemas.serde.BadRecordException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the metrics and transitions topics into {@link FleetState}, committed records only. No
 * consumer group: every exporter reads everything. On start it re-reads the last {@code replay} of
 * the metrics topic to rebuild its gauges, and counts transitions from then on.
 */
public final class TopicFeed implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TopicFeed.class);
    private static final Duration POLL = Duration.ofMillis(500);
    /** How long without a successful poll before the exporter reports itself down. */
    private static final Duration STALE = Duration.ofSeconds(30);

    private final Topics topics;
    private final FleetState state;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final Duration replay;
    private final Thread thread;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final CountDownLatch stopped = new CountDownLatch(1);
    private final AtomicBoolean ready = new AtomicBoolean();
    private final AtomicLong lastPollMs = new AtomicLong();
    private final AtomicLong lastRecordMs = new AtomicLong();
    private final Map<String, LongAdder> records = new HashMap<>();
    private final LongAdder badRecords = new LongAdder();
    private volatile Map<String, Long> lag = Map.of();
    private volatile String problem = "starting";
    private final String bootstrap;
    /** How long the last metadata request could take: shorter the first time, so a missing broker is named at once. */
    private volatile Duration metadataTimeout = Reachability.PROBE_TIMEOUT;
    /** Retries after a failure wait this long at first, doubling up to {@link #MAX_BACKOFF}. */
    private static final Duration MIN_BACKOFF = Duration.ofSeconds(1);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    public TopicFeed(Map<String, Object> clientConfig, Topics topics, FleetState state, Duration replay) {
        this.topics = topics;
        this.state = state;
        this.replay = replay;
        Map<String, Object> config = new HashMap<>(clientConfig);
        this.bootstrap = String.valueOf(config.get(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG));
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "asr-exporter");
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        records.put(topics.agentMetrics().name(), new LongAdder());
        records.put(topics.bandTransitions().name(), new LongAdder());
        this.thread = new Thread(this::run, "asr-exporter-feed");
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    /** True once the records present at start-up have been read: the gauges are whole. */
    public boolean ready() {
        return ready.get();
    }

    /** True while polls succeed. */
    public boolean up() {
        return problem == null && System.currentTimeMillis() - lastPollMs.get() < STALE.toMillis();
    }

    /** What keeps the feed from being up, or null. */
    public String problem() {
        return problem;
    }

    public long lastRecordMs() {
        return lastRecordMs.get();
    }

    public Map<String, Long> recordsByTopic() {
        Map<String, Long> counts = new HashMap<>();
        records.forEach((topic, count) -> counts.put(topic, count.sum()));
        return counts;
    }

    public long badRecords() {
        return badRecords.sum();
    }

    /** Records behind the end of each topic, as of the last poll. */
    public Map<String, Long> lag() {
        return lag;
    }

    /**
     * Reads until closed. Whatever fails (Kafka unreachable at start, a topic's metadata timing
     * out) is retried with backoff, forever: the cause is in {@link #problem()} (and so in {@code
     * /readyz}), and logged once each time it changes, naming the address.
     */
    /** The feed thread's retry state: the cause last logged, and the next wait. */
    private String loggedCause;
    private long backoffMs = MIN_BACKOFF.toMillis();

    private void run() {
        try {
            while (running.get()) {
                try {
                    Map<TopicPartition, Long> startEnds = assign();
                    while (running.get()) {
                        SchemaRegistryException unavailable = takeAll(consumer.poll(POLL), startEnds);
                        if (unavailable != null) {
                            // Rewound to the first record not taken: wait for the registry, then read on from there.
                            if (backOff("cannot decode: " + unavailable.getMessage() + "; the records wait, retrying with backoff")) {
                                return;
                            }
                            continue;
                        }
                        if (loggedCause != null) {
                            log.info("The exporter reads {} and {} from {} again", topics.agentMetrics(), topics.bandTransitions(), bootstrap);
                            loggedCause = null;
                        }
                        backoffMs = MIN_BACKOFF.toMillis();
                        lastPollMs.set(System.currentTimeMillis());
                        problem = null;
                        updateLag(startEnds);
                    }
                } catch (WakeupException e) {
                    throw e;
                } catch (RuntimeException e) {
                    if (backOff(cause(e))) {
                        return;
                    }
                }
            }
        } catch (WakeupException | InterruptedException e) {
            // Closing.
        } finally {
            consumer.close();
        }
    }

    /** Reports {@code cause} (logged once until it changes) and waits out the backoff, doubling it; true when closed meanwhile. */
    private boolean backOff(String cause) throws InterruptedException {
        problem = cause;
        if (!cause.equals(loggedCause)) {
            log.warn("The exporter cannot read {} and {}: {}", topics.agentMetrics(), topics.bandTransitions(), cause);
            loggedCause = cause;
        }
        boolean closed = stopped.await(backoffMs, TimeUnit.MILLISECONDS);
        backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF.toMillis());
        return closed;
    }

    /** What went wrong, with the address and the likely fix. */
    private String cause(RuntimeException e) {
        return Reachability.describeKafkaFailure(bootstrap, e, metadataTimeout) + "; retrying with backoff";
    }

    /** Assigns every partition of both topics, waiting for them to exist; returns the end offsets at start. */
    private Map<TopicPartition, Long> assign() {
        List<TopicPartition> metrics = partitions(topics.agentMetrics().name());
        List<TopicPartition> transitions = partitions(topics.bandTransitions().name());
        List<TopicPartition> all = new ArrayList<>(metrics);
        all.addAll(transitions);
        consumer.assign(all);
        Map<TopicPartition, Long> ends = consumer.endOffsets(all);
        Map<TopicPartition, Long> since = new HashMap<>();
        long from = System.currentTimeMillis() - replay.toMillis();
        metrics.forEach(tp -> since.put(tp, from));
        Map<TopicPartition, OffsetAndTimestamp> offsets = consumer.offsetsForTimes(since);
        for (TopicPartition tp : metrics) {
            OffsetAndTimestamp at = offsets.get(tp);
            consumer.seek(tp, at == null ? ends.get(tp) : at.offset());
        }
        consumer.seekToEnd(transitions);
        transitions.forEach(consumer::position);
        Map<TopicPartition, Long> replayTo = new HashMap<>();
        metrics.forEach(tp -> replayTo.put(tp, ends.get(tp)));
        if (replayTo.entrySet().stream().allMatch(e -> consumer.position(e.getKey()) >= e.getValue())) {
            ready.set(true);
        }
        lastPollMs.set(System.currentTimeMillis());
        problem = null;
        return replayTo;
    }

    private List<TopicPartition> partitions(String topic) {
        while (running.get()) {
            List<PartitionInfo> infos = consumer.partitionsFor(topic, metadataTimeout = lastPollMs.get() == 0 && problem.equals("starting")
                    ? Reachability.FIRST_PROBE_TIMEOUT : Reachability.PROBE_TIMEOUT);
            if (infos != null && !infos.isEmpty()) {
                return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            }
            problem = "topic " + topic + " does not exist yet: start asr streams (it writes it), or check asr.topic.*";
            try {
                Thread.sleep(1_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WakeupException();
            }
        }
        throw new WakeupException();
    }

    /**
     * Takes a poll's records in order. When the schema registry cannot be asked (a record's schema
     * not cached yet), every partition of the poll is rewound to its first record not taken, so
     * nothing is skipped while the registry is away (a re-assignment would seek transitions to
     * their end and lose them); returns that failure, or null.
     */
    private SchemaRegistryException takeAll(ConsumerRecords<byte[], byte[]> polled, Map<TopicPartition, Long> startEnds) {
        Map<TopicPartition, Long> nextToTake = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : polled) {
            TopicPartition partition = new TopicPartition(record.topic(), record.partition());
            try {
                take(record, startEnds);
            } catch (SchemaRegistryException e) {
                for (TopicPartition tp : polled.partitions()) {
                    Long next = nextToTake.get(tp);
                    consumer.seek(tp, next != null ? next : polled.records(tp).get(0).offset());
                }
                return e;
            }
            nextToTake.put(partition, record.offset() + 1);
        }
        return null;
    }

    private void take(ConsumerRecord<byte[], byte[]> record, Map<TopicPartition, Long> startEnds) {
        Long replayEnd = startEnds.get(new TopicPartition(record.topic(), record.partition()));
        boolean replayed = replayEnd != null && record.offset() < replayEnd;
        long now = System.currentTimeMillis();
        try {
            if (record.topic().equals(topics.agentMetrics().name())) {
                AgentWindowMetrics row = decode(topics.agentMetrics().valueSerde().deserializer(), record);
                state.onMetrics(row, replayed ? record.timestamp() : now, replayed);
            } else {
                state.onTransition(decode(topics.bandTransitions().valueSerde().deserializer(), record));
            }
            if (!replayed) {
                lastRecordMs.set(now);
            }
            records.get(record.topic()).increment();
        } catch (BadRecordException e) {
            records.get(record.topic()).increment();
            badRecords.increment();
            log.warn("Skipping a record the exporter cannot read ({}-{}@{}): {}", record.topic(), record.partition(), record.offset(),
                    e.getMessage());
        }
    }

    private static <T> T decode(Deserializer<T> deserializer, ConsumerRecord<byte[], byte[]> record) {
        return deserializer.deserialize(record.topic(), record.value());
    }

    private void updateLag(Map<TopicPartition, Long> startEnds) {
        Map<String, Long> byTopic = new HashMap<>();
        boolean caughtUp = true;
        for (TopicPartition tp : consumer.assignment()) {
            long behind = consumer.currentLag(tp).orElse(0);
            byTopic.merge(tp.topic(), behind, Long::sum);
            Long replayEnd = startEnds.get(tp);
            if (replayEnd != null && consumer.position(tp) < replayEnd) {
                caughtUp = false;
            }
        }
        lag = byTopic;
        if (caughtUp) {
            ready.set(true);
        }
    }

    @Override
    public void close() {
        running.set(false);
        stopped.countDown(); // a retry may be waiting out its backoff (no interrupt: it would close the registry's file channels)
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
