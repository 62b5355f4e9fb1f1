package dev.asr.ingest.sdk;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.SchemaRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Reports agents' spend and outcomes to the ASR topics: one per process, shared by every thread.
 *
 * <p>Sends are asynchronous and batched by an idempotent producer ({@code acks=all}); each returns a
 * future completed when Kafka has acknowledged the event. At most {@link AsrClientSettings#capacity}
 * events are in flight: past that a send waits or fails, as configured. {@link #flush()} waits for
 * everything sent so far; {@link #close()} flushes first, so nothing a send accepted is lost.
 *
 * <pre>{@code
 * try (AsrClient asr = AsrClient.create(AsrClientSettings.of("kafka:9092", RegistrySettings.from(...)))) {
 *     AgentReporter agent = asr.agent("support-bot-7", "support");
 *     try (TaskReport task = agent.startTask()) {
 *         task.inference("gpt-4.1-mini", 1_800, 240, 1_100);   // micros
 *         task.toolCall("crm-lookup", 300);
 *         task.succeed(4_000_000, 0);                           // value in micros, no human stepped in
 *     }
 * }
 * }</pre>
 */
public final class AsrClient implements AutoCloseable {

    private final AsrClientSettings settings;
    private final SchemaRegistry registry;
    private final Topics topics;
    private final KafkaProducer<String, byte[]> producer;
    private final Semaphore room;
    private final long largestRecord;
    private final LongAdder accepted = new LongAdder();
    private final LongAdder acknowledged = new LongAdder();
    private final LongAdder spendAcknowledged = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicReference<Exception> lastFailure = new AtomicReference<>();
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean closed;
    private final Authorizer authorizer;

    private AsrClient(AsrClientSettings settings, Authorizer authorizer) {
        this.settings = settings;
        this.authorizer = authorizer;
        this.registry = settings.registry().open();
        this.topics = Topics.create(settings.topics(), registry);
        Map<String, Object> config = new HashMap<>(settings.kafka());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        // Without metadata for a topic (Kafka unreachable since start, or re-bootstrapping), a send
        // waits this long for it; Kafka's 60 s would stall an agent's thread for a minute.
        config.putIfAbsent(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "asr-client");
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
        this.largestRecord = Math.min(bytesSetting(config, ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 1_048_576),
                bytesSetting(config, ProducerConfig.BUFFER_MEMORY_CONFIG, 33_554_432)) - RECORD_OVERHEAD;
        this.room = new Semaphore(settings.capacity());
    }

    /** What the producer adds to a record's key and value when it checks a record's size: a batch header and the record's own. */
    private static final int RECORD_OVERHEAD = 128;

    private static long bytesSetting(Map<String, Object> config, String key, long fallback) {
        Object value = config.get(key);
        return value == null ? fallback : Long.parseLong(value.toString().trim());
    }

    public static AsrClient create(AsrClientSettings settings) {
        return new AsrClient(settings, null);
    }

    /** A client whose agents can also ask before they spend ({@link AgentReporter#authorize}), through {@code authorizer}. */
    public static AsrClient create(AsrClientSettings settings, Authorizer authorizer) {
        return new AsrClient(settings, authorizer);
    }

    /** The gateway this client's agents ask before they spend. */
    Authorizer authorizer() {
        if (authorizer == null) {
            throw new IllegalStateException("this client cannot authorize: create it with AsrClient.create(settings,"
                    + " Authorizer.of(\"http://<gateway>:8080\", token))");
        }
        return authorizer;
    }

    /** Reports for one agent. */
    public AgentReporter agent(String agentId, String fleet) {
        return new AgentReporter(this, agentId, fleet);
    }

    /** What this client was made with: its Kafka settings and topic names. */
    public AsrClientSettings settings() {
        return settings;
    }

    /** Sends a spend event as it is; completes when Kafka acknowledged it. */
    public CompletableFuture<Void> send(SpendEvent event) {
        return dispatch(List.of(record(event)));
    }

    /** Sends an outcome event as it is; completes when Kafka acknowledged it. */
    public CompletableFuture<Void> send(OutcomeEvent event) {
        return dispatch(List.of(record(event)));
    }

    /**
     * Sends a batch all or nothing: room for every event is taken first, so a full buffer refuses
     * the whole batch ({@link BufferFullException}) and no event of it is sent. Completes when Kafka
     * acknowledged them all, or exceptionally when one failed. When the producer refuses an event
     * outright (no metadata within {@code max.block.ms}), the events after it are not sent.
     */
    public CompletableFuture<Void> sendAll(List<? extends SpecificRecord> events) {
        if (events.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<Encoded> records = new ArrayList<>(events.size());
        for (SpecificRecord event : events) {
            records.add(record(event));
        }
        return dispatch(records);
    }

    /**
     * Sends events already {@link #encode encoded}, all or nothing like {@link #sendAll}. For
     * callers that check each event's size first (the HTTP gateway, which refuses an oversized
     * record on its own and sends its neighbours).
     */
    public CompletableFuture<Void> sendEncoded(List<Encoded> events) {
        if (events.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return dispatch(events);
    }

    /** An event serialized for its topic, before it takes room in the buffer. */
    public record Encoded(ProducerRecord<String, byte[]> record, boolean spend) {

        /** The key and value bytes: what must fit the producer's largest request. */
        public int size() {
            return (record.value() == null ? 0 : record.value().length) + (record.key() == null ? 0 : record.key().length() * 3);
        }
    }

    /**
     * The largest {@link Encoded#size()} an event may have: Kafka refuses a record larger than the
     * producer's {@code max.request.size} (or {@code buffer.memory}), a failure no retry mends.
     */
    public long largestRecord() {
        return largestRecord;
    }

    /** Where this client's schemas come from. */
    public SchemaRegistry registry() {
        return registry;
    }

    /** The event serialized for its topic (the registry is asked for its schema id the first time). */
    public Encoded encode(SpecificRecord event) {
        return record(event);
    }

    private Encoded record(SpecificRecord event) {
        if (event instanceof SpendEvent spend) {
            return new Encoded(new ProducerRecord<>(topics.spend().name(), null, spend.getOccurredAt().toEpochMilli(), spend.getAgentId(),
                    topics.spend().valueSerde().serializer().serialize(topics.spend().name(), spend)), true);
        }
        if (event instanceof OutcomeEvent outcome) {
            return new Encoded(new ProducerRecord<>(topics.outcomes().name(), null, outcome.getOccurredAt().toEpochMilli(),
                    outcome.getAgentId(), topics.outcomes().valueSerde().serializer().serialize(topics.outcomes().name(), outcome)), false);
        }
        throw new IllegalArgumentException("not an ASR input event: " + (event == null ? "null" : event.getClass().getName()));
    }

    /**
     * Takes room for the records and hands them to the producer. Runs under the read side of the
     * lifecycle lock, so {@link #close()} waits for every send that got past the closed check.
     */
    private CompletableFuture<Void> dispatch(List<Encoded> records) {
        Lock lock = lifecycle.readLock();
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("this AsrClient is closed");
            }
            acquire(records.size());
            CompletableFuture<?>[] sent = new CompletableFuture<?>[records.size()];
            for (int i = 0; i < sent.length; i++) {
                sent[i] = produce(records.get(i));
                if (sent[i].isCompletedExceptionally()) {
                    // The producer refused it before sending (no metadata within max.block.ms, say):
                    // the batch fails anyway, so the rest fail now instead of each waiting as long.
                    Throwable cause = sent[i].handle((ignored, error) -> error).join();
                    for (int j = i + 1; j < sent.length; j++) {
                        sent[j] = refuse(cause);
                    }
                    break;
                }
            }
            return sent.length == 1 ? castVoid(sent[0]) : CompletableFuture.allOf(sent);
        } finally {
            lock.unlock();
        }
    }

    @SuppressWarnings("unchecked")
    private static CompletableFuture<Void> castVoid(CompletableFuture<?> future) {
        return (CompletableFuture<Void>) future;
    }

    private CompletableFuture<Void> produce(Encoded outgoing) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        accepted.increment();
        try {
            producer.send(outgoing.record(), (metadata, error) -> {
                room.release();
                if (error == null) {
                    acknowledged.increment();
                    if (outgoing.spend()) {
                        spendAcknowledged.increment();
                    }
                    done.complete(null);
                } else {
                    failed.increment();
                    lastFailure.set(error);
                    done.completeExceptionally(error);
                }
            });
        } catch (KafkaException e) {
            room.release();
            failed.increment();
            lastFailure.set(e);
            done.completeExceptionally(e);
        }
        return done;
    }

    /** A record of a failed batch that is never handed to the producer. */
    private CompletableFuture<Void> refuse(Throwable cause) {
        accepted.increment();
        room.release();
        failed.increment();
        return CompletableFuture.failedFuture(cause);
    }

    private void acquire(int events) {
        if (events > settings.capacity()) {
            throw new BufferFullException("a batch of " + events + " events cannot fit a buffer of " + settings.capacity()
                    + ": send smaller batches, or raise asr.client.capacity");
        }
        if (settings.whenFull() == AsrClientSettings.WhenFull.FAIL) {
            if (!room.tryAcquire(events)) {
                throw full();
            }
            return;
        }
        try {
            if (!room.tryAcquire(events, settings.blockTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                throw full();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new BufferFullException("interrupted while waiting for room in the ASR client's buffer");
        }
    }

    private BufferFullException full() {
        return new BufferFullException(settings.capacity() + " events are waiting for Kafka to acknowledge them"
                + (settings.whenFull() == AsrClientSettings.WhenFull.BLOCK ? " (waited " + settings.blockTimeout() + ")" : "")
                + ": Kafka is slow or unreachable. Retry later, or raise asr.client.capacity");
    }

    /** Waits until every event sent so far is acknowledged or has failed. */
    public void flush() {
        producer.flush();
    }

    /** Events accepted by {@code send}, acknowledged by Kafka, and failed after the producer's retries. */
    public long accepted() {
        return accepted.sum();
    }

    public long acknowledged() {
        return acknowledged.sum();
    }

    /** Of {@link #acknowledged()}, the spend events (the rest are outcomes). */
    public long spendAcknowledged() {
        return spendAcknowledged.sum();
    }

    public long failed() {
        return failed.sum();
    }

    /** Events sent but not yet acknowledged or failed. */
    public int inFlight() {
        return settings.capacity() - room.availablePermits();
    }

    public Exception lastFailure() {
        return lastFailure.get();
    }

    /**
     * Stops taking events, waits for sends already under way, flushes, then closes: every event a
     * send accepted is acknowledged or failed before this returns. Later sends throw {@link
     * IllegalStateException}.
     */
    @Override
    public void close() {
        close(null);
    }

    /**
     * Closes, waiting at most {@code timeout} (null: as long as delivery takes) for the records under
     * way; those still unacknowledged then fail and are counted in {@link #failed()}.
     */
    public void close(Duration timeout) {
        Lock lock = lifecycle.writeLock();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        if (timeout == null) {
            producer.flush();
            producer.close();
        } else {
            producer.close(timeout);
        }
        registry.close();
    }
}
