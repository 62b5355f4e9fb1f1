package dev.asr.ingest.simulator;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.Topic;
import dev.asr.schemas.Topics;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Sends events straight to the input topics with one idempotent producer ({@code acks=all}),
 * counting what each topic acknowledged and what failed.
 */
public final class KafkaEventSink implements EventSink {

    private final Topics topics;
    private final KafkaProducer<String, byte[]> producer;
    private final LongAdder spendAcked = new LongAdder();
    private final LongAdder outcomesAcked = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final AtomicReference<String> lastError = new AtomicReference<>();

    public KafkaEventSink(Topics topics, Map<String, Object> producerConfig) {
        this.topics = topics;
        Map<String, Object> config = new HashMap<>(producerConfig);
        config.putIfAbsent(ProducerConfig.ACKS_CONFIG, "all");
        config.putIfAbsent(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, 20);
        config.putIfAbsent(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        config.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "asr-simulator");
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new ByteArraySerializer());
    }

    @Override
    public void spend(SpendEvent event) {
        send(topics.spend(), event.getAgentId(), event.getOccurredAt().toEpochMilli(), event, spendAcked);
    }

    @Override
    public void outcome(OutcomeEvent event) {
        send(topics.outcomes(), event.getAgentId(), event.getOccurredAt().toEpochMilli(), event, outcomesAcked);
    }

    /** The record timestamp is the event time, so Kafka Streams orders the two input topics by it. */
    private <V> void send(Topic<String, V> topic, String key, long eventTime, V value, LongAdder acked) {
        byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), value);
        producer.send(new ProducerRecord<>(topic.name(), null, eventTime, key, bytes), (metadata, error) -> {
            if (error == null) {
                acked.increment();
            } else {
                failed.increment();
                lastError.set(error.getMessage());
            }
        });
    }

    public long spendAcknowledged() {
        return spendAcked.sum();
    }

    public long outcomesAcknowledged() {
        return outcomesAcked.sum();
    }

    public long failed() {
        return failed.sum();
    }

    /** The message of the most recent delivery failure, or null. */
    public String lastError() {
        return lastError.get();
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
