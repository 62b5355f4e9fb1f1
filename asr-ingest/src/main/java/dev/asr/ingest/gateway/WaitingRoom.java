package dev.asr.ingest.gateway;

import com.google.protobuf.ByteString;
import dev.asr.ingest.sdk.AsrClient;
import dev.asr.otel.mapping.SpanMapper;
import dev.asr.otel.mapping.SpanMapper.Found;
import dev.asr.otel.mapping.SpanMapper.Waiting;
import dev.asr.otel.receiver.OtlpSettings;
import dev.asr.otel.waiting.WaitingRecord;
import dev.asr.otel.waiting.WaitingSpans;
import dev.asr.otel.waiting.WaitingSpans.Claimed;
import dev.asr.otel.waiting.WaitingSpans.Parked;
import dev.asr.schemas.TopicProvisioner;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where OTLP spans wait for their agent span, kept in Kafka so a restart loses none: a compacted
 * topic ({@code asr.otel.waiting-topic}), one record per waiting span ({@link WaitingRecord}),
 * written with the request's events before it is answered, and a tombstone once the span's event
 * is written. On start it is read to its end into {@link WaitingSpans} (until then {@code
 * /v1/traces} answers 503 with Retry-After). Once a second, spans that waited {@code asr.otel.wait}
 * are given up on: mapped with their own {@code gen_ai.agent.*} attributes when they have them
 * (spend that serves no task), otherwise dead-lettered ({@code no-agent}, the span as a one-span
 * OTLP request that can be posted again once its agent is known).
 *
 * <p>One gateway, one waiting topic: gateways that share one would each restore and give up on
 * the others' spans. With several, route each trace to one gateway (the OpenTelemetry Collector's
 * {@code loadbalancing} exporter, {@code routing_key: traceID}) and give each its own topic.
 */
final class WaitingRoom implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WaitingRoom.class);
    private static final Duration SWEEP = Duration.ofSeconds(1);
    /** How long a given-up span whose events could not be written waits before it is tried again. */
    private static final Duration RETRY = Duration.ofSeconds(10);

    private final WaitingSpans spans;
    private final SpanMapper mapper;
    private final OtlpSettings.Waiting settings;
    private final String deadLetters;
    private final Map<String, Object> kafka;
    private final AsrClient client;
    private final Clock clock;
    private final Thread thread;
    private final LongAdder givenUp = new LongAdder();
    private final LongAdder deadLettered = new LongAdder();
    private volatile boolean ready;
    private volatile String notReadyBecause = "reading the spans that wait for their agent span";
    private volatile boolean running = true;

    WaitingRoom(WaitingSpans spans, SpanMapper mapper, OtlpSettings.Waiting settings, String deadLetters, Map<String, Object> kafka,
            AsrClient client, Clock clock) {
        this.spans = spans;
        this.mapper = mapper;
        this.settings = settings;
        this.deadLetters = deadLetters;
        this.kafka = kafka;
        this.client = client;
        this.clock = clock;
        this.thread = new Thread(this::run, "asr-otel-waiting");
        thread.setDaemon(true);
    }

    WaitingRoom start() {
        thread.start();
        return this;
    }

    boolean ready() {
        return ready;
    }

    String notReadyBecause() {
        return notReadyBecause;
    }

    WaitingSpans spans() {
        return spans;
    }

    /** Spans given up on since start: mapped by their own attributes, or dead-lettered. */
    long givenUp() {
        return givenUp.sum();
    }

    long deadLettered() {
        return deadLettered.sum();
    }

    /** The records that keep {@code parked} spans across a restart. */
    List<AsrClient.Encoded> keep(List<Parked> parked) {
        List<AsrClient.Encoded> records = new ArrayList<>(parked.size());
        for (Parked one : parked) {
            Waiting span = one.span();
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(settings.topic(), null, one.sinceMs(), WaitingRecord.key(span.key()),
                    WaitingRecord.value(span), List.of(new RecordHeader(WaitingRecord.FLEET, WaitingRecord.fleet(span)),
                            new RecordHeader(WaitingRecord.AWAITS, WaitingRecord.awaits(span))));
            records.add(new AsrClient.Encoded(record, false));
        }
        return records;
    }

    /** Tombstones for spans whose events are written; a failure only means they are settled again after a restart (same event ids). */
    void release(List<ByteString> keys) {
        if (keys.isEmpty()) {
            return;
        }
        List<AsrClient.Encoded> tombstones = new ArrayList<>(keys.size());
        for (ByteString key : keys) {
            tombstones.add(new AsrClient.Encoded(new ProducerRecord<>(settings.topic(), WaitingRecord.key(key), null), false));
        }
        try {
            client.sendEncoded(tombstones).whenComplete((done, error) -> {
                if (error != null) {
                    log.warn("Could not release {} settled spans in {} ({}): they are settled again after a restart, with the same event ids",
                            keys.size(), settings.topic(), error.getMessage());
                }
            });
        } catch (RuntimeException e) {
            log.warn("Could not release {} settled spans in {} ({}): they are settled again after a restart, with the same event ids",
                    keys.size(), settings.topic(), e.getMessage());
        }
    }

    private void run() {
        try {
            ensureTopic();
            restore();
            ready = true;
            notReadyBecause = null;
            log.info("OTLP: {} spans wait for their agent span (read from {}); giving up on each after {}", spans.waiting(), settings.topic(),
                    settings.maxWait());
            while (running) {
                Thread.sleep(SWEEP.toMillis());
                sweep();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (running) {
                notReadyBecause = "the spans waiting for their agent span could not be read from " + settings.topic() + ": " + e.getMessage()
                        + "; restart the gateway";
                log.error("OTLP: {}", notReadyBecause, e);
            }
        }
    }

    /** Gives up on spans that waited long enough, and writes what became of them. */
    void sweep() {
        List<Parked> expired = spans.expire(clock.millis());
        if (expired.isEmpty()) {
            return;
        }
        List<SpecificRecord> events = new ArrayList<>();
        List<AsrClient.Encoded> records = new ArrayList<>();
        for (Parked parked : expired) {
            Found found = new Found(parked.span(), spans.agentOf(parked.span().awaits()));
            SpanMapper.Mapped mapped = mapper.settle(List.of(found), clock.instant());
            events.addAll(mapped.spend());
            events.addAll(mapped.outcomes());
            for (SpanMapper.Rejected rejected : mapped.rejected()) {
                records.add(deadLetter(parked.span(), rejected.reason(), rejected.message() + " (waited " + settings.maxWait()
                        + ", asr.otel.wait, for an agent span above it)"));
            }
        }
        for (SpecificRecord event : events) {
            records.add(client.encode(event));
        }
        int dead = records.size() - events.size();
        try {
            client.sendEncoded(records).get(2, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            spans.putBack(later(expired));
            return;
        } catch (ExecutionException | TimeoutException | RuntimeException e) {
            log.warn("OTLP: {} spans that waited {} for their agent span could not be written ({}); trying again in {}", expired.size(),
                    settings.maxWait(), e.getMessage(), RETRY);
            spans.putBack(later(expired));
            return;
        }
        givenUp.add(expired.size());
        deadLettered.add(dead);
        release(expired.stream().map(p -> p.span().key()).toList());
    }

    /** Spans to try again in {@link #RETRY}: as if parked that long before the wait ends. */
    private List<Parked> later(List<Parked> expired) {
        long since = clock.millis() - spans.waitMs() + RETRY.toMillis();
        return expired.stream().map(p -> new Parked(p.span(), since)).toList();
    }

    AsrClient.Encoded deadLetter(Waiting span, String reason, String message) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(deadLetters, null, clock.millis(), WaitingRecord.key(span.key()),
                WaitingRecord.asRequest(span).toByteArray(), List.of(
                        new RecordHeader("asr.dlq.reason", utf8(reason)),
                        new RecordHeader("asr.dlq.error", utf8(message)),
                        new RecordHeader("asr.dlq.source.topic", utf8(settings.topic())),
                        new RecordHeader("content-type", utf8(OtlpEndpoint.PROTOBUF))));
        return new AsrClient.Encoded(record, false);
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Creates the topic when missing: compacted, one partition (its records are few and read whole), replicated as the cluster allows. */
    private void ensureTopic() {
        Map<String, Object> config = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (AdminClientConfig.configNames().contains(key)) {
                config.put(key, value);
            }
        });
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "asr-otel-waiting-admin");
        while (running) {
            try (Admin admin = Admin.create(config)) {
                if (admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(settings.topic())) {
                    return;
                }
                int brokers = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size();
                TopicProvisioner.Replication replication = TopicProvisioner.Replication.forCluster(brokers);
                admin.createTopics(List.of(new NewTopic(settings.topic(), 1, replication.factor()).configs(Map.of("cleanup.policy", "compact",
                        "min.insync.replicas", Integer.toString(replication.minInSync()))))).all().get(30, TimeUnit.SECONDS);
                log.info("Created {} (compacted, {}) for OTLP spans waiting for their agent span", settings.topic(), replication.describe(brokers));
                return;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof TopicExistsException) {
                    return;
                }
                notReadyBecause = "cannot create " + settings.topic() + " (asr.otel.waiting-topic): " + e.getCause().getMessage()
                        + "; create it compacted, or grant the gateway CREATE on it";
            } catch (TimeoutException e) {
                notReadyBecause = "Kafka did not answer about " + settings.topic() + " (asr.otel.waiting-topic) within 30 s";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
            log.warn("OTLP: {}; retrying", notReadyBecause);
            try {
                Thread.sleep(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    /** Reads the topic from its start to its end as of now: the latest record per span wins, a tombstone releases it. */
    private void restore() {
        Map<String, Object> config = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (ConsumerConfig.configNames().contains(key)) {
                config.put(key, value);
            }
        });
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "asr-otel-waiting-restore");
        int read = 0;
        int unreadable = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(settings.topic(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            while (running && partitions.stream().anyMatch(tp -> consumer.position(tp, Duration.ofSeconds(30)) < ends.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    read++;
                    if (record.value() == null) {
                        spans.released(WaitingRecord.spanKey(record.key()));
                        continue;
                    }
                    try {
                        spans.restore(WaitingRecord.read(record.value(), header(record, WaitingRecord.FLEET),
                                header(record, WaitingRecord.AWAITS)), record.timestamp());
                    } catch (IllegalArgumentException e) {
                        unreadable++;
                        log.warn("OTLP: skipping record {}@{} of {}: {}", record.partition(), record.offset(), settings.topic(), e.getMessage());
                    }
                    if (read % 100_000 == 0) {
                        log.info("OTLP: {} records of {} read", read, settings.topic());
                    }
                }
            }
        }
        if (unreadable > 0) {
            log.warn("OTLP: {} records of {} could not be read and were skipped", unreadable, settings.topic());
        }
    }

    private static byte[] header(ConsumerRecord<?, ?> record, String name) {
        Header header = record.headers().lastHeader(name);
        return header == null ? null : header.value();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
