package dev.asr.schemas;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.schemas.registry.SchemaRegistry;
import dev.asr.schemas.serde.AvroSerde;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The catalogue of every ASR topic. Every topic is keyed by {@code agent_id} (a UTF-8 string), so
 * an agent's spend and outcomes land in the same partition; values are Avro in the Confluent wire
 * format, except the dead-letter topic, which keeps the original bytes.
 */
public final class Topics {

    private final Topic<String, SpendEvent> spend;
    private final Topic<String, OutcomeEvent> outcomes;
    private final Topic<String, AgentWindowMetrics> agentMetrics;
    private final Topic<String, BandTransition> bandTransitions;
    private final Topic<byte[], byte[]> deadLetters;
    private final TopicNames names;

    private Topics(TopicNames names, SchemaRegistry registry) {
        this.names = names;
        this.spend = new Topic<>(names.spend(), Serdes.String(), AvroSerde.forValues(SpendEvent.class, registry));
        this.outcomes = new Topic<>(names.outcomes(), Serdes.String(), AvroSerde.forValues(OutcomeEvent.class, registry));
        this.agentMetrics = new Topic<>(names.agentMetrics(), Serdes.String(), AvroSerde.forValues(AgentWindowMetrics.class, registry));
        this.bandTransitions = new Topic<>(names.bandTransitions(), Serdes.String(), AvroSerde.forValues(BandTransition.class, registry));
        this.deadLetters = new Topic<>(names.deadLetters(), Serdes.ByteArray(), Serdes.ByteArray());
    }

    public static Topics create(TopicNames names, SchemaRegistry registry) {
        return new Topics(names, registry);
    }

    public TopicNames names() {
        return names;
    }

    public Topic<String, SpendEvent> spend() {
        return spend;
    }

    public Topic<String, OutcomeEvent> outcomes() {
        return outcomes;
    }

    public Topic<String, AgentWindowMetrics> agentMetrics() {
        return agentMetrics;
    }

    public Topic<String, BandTransition> bandTransitions() {
        return bandTransitions;
    }

    public Topic<byte[], byte[]> deadLetters() {
        return deadLetters;
    }

    /** The input topics, which must have the same number of partitions (co-partitioned by agent). */
    public List<Topic<String, ?>> inputs() {
        return List.of(spend, outcomes);
    }

    public List<Topic<?, ?>> all() {
        return List.of(spend, outcomes, agentMetrics, bandTransitions, deadLetters);
    }
}
