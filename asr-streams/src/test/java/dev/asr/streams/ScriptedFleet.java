package dev.asr.streams;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.schemas.Topics;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Writes scripted agents' events to a real broker, as an agent runtime would: keyed by agent, stamped with event time. */
final class ScriptedFleet implements AutoCloseable {

    private final Topics topics;
    private final KafkaProducer<String, byte[]> producer;
    private final AtomicLong ids = new AtomicLong();

    ScriptedFleet(String bootstrapServers, Topics topics) {
        this.topics = topics;
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.LINGER_MS_CONFIG, 5), new StringSerializer(), new ByteArraySerializer());
    }

    /** One task of one inference step costing {@code cost}, settled SUCCEEDED (autonomous) or FAILED. */
    void task(String agent, String fleet, String task, long cost, boolean autonomous, Instant at) {
        spend(SpendEvent.newBuilder().setEventId("s" + ids.incrementAndGet()).setAgentId(agent).setFleet(fleet).setTaskId(task)
                .setKind(SpendKind.INFERENCE).setCostMicros(cost).setInputTokens(1_000).setOutputTokens(100)
                .setOccurredAt(at).build());
        outcome(OutcomeEvent.newBuilder().setEventId("o" + ids.incrementAndGet()).setAgentId(agent).setFleet(fleet).setTaskId(task)
                .setStatus(autonomous ? OutcomeStatus.SUCCEEDED : OutcomeStatus.FAILED).setValueMicros(autonomous ? 2 * cost : 0)
                .setOccurredAt(at.plusMillis(1)).build());
    }

    /** Moves an agent's clock to {@code at} with a free idle event (agents keep their own clocks). */
    void tick(String agent, String fleet, Instant at) {
        spend(SpendEvent.newBuilder().setEventId("tick-" + agent + "-" + at.toEpochMilli()).setAgentId(agent).setFleet(fleet)
                .setKind(SpendKind.IDLE).setCostMicros(0).setOccurredAt(at).build());
    }

    void spend(SpendEvent e) {
        producer.send(new ProducerRecord<>(topics.spend().name(), null, e.getOccurredAt().toEpochMilli(), e.getAgentId(),
                topics.spend().valueSerde().serializer().serialize(topics.spend().name(), e)));
    }

    void outcome(OutcomeEvent e) {
        producer.send(new ProducerRecord<>(topics.outcomes().name(), null, e.getOccurredAt().toEpochMilli(), e.getAgentId(),
                topics.outcomes().valueSerde().serializer().serialize(topics.outcomes().name(), e)));
    }

    void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        producer.close();
    }
}
