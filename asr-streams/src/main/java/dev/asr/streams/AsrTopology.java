package dev.asr.streams;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.BandTransition;
import dev.asr.schemas.Topics;
import dev.asr.streams.processor.AgentProcessor;
import dev.asr.streams.processor.FleetProcessor;
import dev.asr.streams.processor.Output;
import dev.asr.streams.processor.PipelineCounters;
import dev.asr.streams.state.AsrStores;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * The ASR topology. One sub-topology per input partition does the work: spend and outcomes
 * (co-partitioned by agent) merge into the {@link AgentProcessor}, whose output splits three ways:
 * dead letters, agent metrics, band transitions. Agent metrics also go, re-keyed by fleet, to the
 * {@link FleetProcessor}, which writes fleet roll-ups to the same metrics topic.
 *
 * <p>Every node, store and internal topic has an explicit name, so the topology can change without
 * orphaning its state.
 */
public final class AsrTopology {

    private AsrTopology() {}

    public static Topology build(StreamsSettings settings, Topics topics, PipelineCounters counters) {
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(AsrStores.dedup(settings));
        builder.addStateStore(AsrStores.openTasks());
        builder.addStateStore(AsrStores.settledTasks(settings));
        builder.addStateStore(AsrStores.buckets());
        builder.addStateStore(AsrStores.agents());
        builder.addStateStore(AsrStores.clock());
        builder.addStateStore(AsrStores.fleetWindows());
        builder.addStateStore(AsrStores.fleetClock());

        Consumed<byte[], byte[]> raw = Consumed.with(Serdes.ByteArray(), Serdes.ByteArray());
        KStream<byte[], byte[]> spend = builder.stream(topics.spend().name(), raw.withName("spend-in"));
        KStream<byte[], byte[]> outcomes = builder.stream(topics.outcomes().name(), raw.withName("outcomes-in"));

        Map<String, KStream<String, Output>> outputs = spend.merge(outcomes, Named.as("events"))
                .process(() -> new AgentProcessor(settings, topics, counters), Named.as("agent-ledger"), AsrStores.AGENT_STORES)
                .split(Named.as("out-"))
                .branch((key, value) -> value instanceof Output.DeadLetter, Branched.as("dead-letters"))
                .branch((key, value) -> value instanceof Output.Metrics, Branched.as("metrics"))
                .branch((key, value) -> value instanceof Output.Transition, Branched.as("transitions"))
                .noDefaultBranch();

        outputs.get("out-dead-letters")
                .map((key, value) -> KeyValue.pair(((Output.DeadLetter) value).key(), ((Output.DeadLetter) value).value()),
                        Named.as("dead-letter-original"))
                .to(topics.deadLetters().name(), Produced.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("dead-letters-out"));

        KStream<String, AgentWindowMetrics> agentMetrics = outputs.get("out-metrics")
                .mapValues(value -> ((Output.Metrics) value).metrics(), Named.as("agent-metrics"));
        agentMetrics.to(topics.agentMetrics().name(), metricsOut(topics, "agent-metrics-out"));

        outputs.get("out-transitions")
                .mapValues(value -> ((Output.Transition) value).transition(), Named.as("band-transitions"))
                .to(topics.bandTransitions().name(), Produced.<String, BandTransition>with(
                        topics.bandTransitions().keySerde(), topics.bandTransitions().valueSerde()).withName("band-transitions-out"));

        agentMetrics
                .selectKey((agent, metrics) -> metrics.getFleet(), Named.as("by-fleet"))
                .repartition(Repartitioned.with(topics.agentMetrics().keySerde(), topics.agentMetrics().valueSerde())
                        .withName("fleet-contributions"))
                .process(() -> new FleetProcessor(settings), Named.as("fleet-rollup"), AsrStores.FLEET_STORES)
                .to(topics.agentMetrics().name(), metricsOut(topics, "fleet-metrics-out"));

        return builder.build();
    }

    private static Produced<String, AgentWindowMetrics> metricsOut(Topics topics, String name) {
        return Produced.with(topics.agentMetrics().keySerde(), topics.agentMetrics().valueSerde()).withName(name);
    }
}
