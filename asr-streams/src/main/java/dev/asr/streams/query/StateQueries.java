package dev.asr.streams.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.schemas.Durations;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.clock.AgentClock;
import dev.asr.streams.fleet.FleetRollup;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.processor.FleetProcessor;
import dev.asr.streams.state.AsrStores;
import dev.asr.streams.state.FleetWindowStore;
import dev.asr.streams.state.StoreKeys;
import dev.asr.streams.state.codec.TaskCodec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.query.KeyQuery;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.query.RangeQuery;
import org.apache.kafka.streams.query.StateQueryRequest;
import org.apache.kafka.streams.query.StateQueryResult;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * The read API's figures, from the topology's own stores (Kafka Streams interactive queries, v2):
 * an agent's from the partition of its {@code agent_id} (the input topics' key), a fleet's from
 * the fleet roll-up's partition of the fleet. Each answer says where the data is: here, at the
 * instance that owns that partition ({@code application.server}), or nowhere now (rebalancing,
 * restoring); the caller routes.
 */
public final class StateQueries {

    private static final Serializer<String> KEYS = new StringSerializer();

    /** Where an answer is. */
    public sealed interface Answer {
        record Found(ObjectNode body) implements Answer {}

        /** Nothing held for that agent or fleet (unknown, or quiet for longer than the longest view). */
        record Missing(String why) implements Answer {}

        /** Another instance owns the partition. */
        record Elsewhere(HostInfo owner) implements Answer {}

        /** No instance can answer now: ask again after a while. */
        record Unavailable(String why) implements Answer {}
    }

    private final KafkaStreams streams;
    private final StreamsSettings settings;
    private final HostInfo self;

    /** @param self this instance's {@code application.server} */
    public StateQueries(KafkaStreams streams, StreamsSettings settings, HostInfo self) {
        this.streams = streams;
        this.settings = settings;
        this.self = self;
    }

    public HostInfo self() {
        return self;
    }

    public Answer agent(String fleet, String agentId) {
        try {
            KeyQueryMetadata where = streams.queryMetadataForKey(AsrStores.AGENTS, agentId, KEYS);
            Answer routed = route(where);
            if (routed != null) {
                return routed;
            }
            AgentKey key = new AgentKey(fleet, agentId);
            QueryResult<byte[]> stored = query(AsrStores.AGENTS, KeyQuery.withKey(Bytes.wrap(key.bytes())), where.partition());
            if (!stored.isSuccess()) {
                return unavailable(stored);
            }
            if (stored.getResult() == null) {
                return new Answer.Missing("the topology holds no figures for agent " + agentId + " of fleet " + fleet
                        + ": it has sent no event, or none within the longest view (" + Durations.format(settings.longestView())
                        + "; older is forgotten)");
            }
            byte[] prefix = Arrays.copyOf(key.bytes(), key.bytes().length + 1);
            prefix[prefix.length - 1] = AgentKey.SEPARATOR;
            byte[] upper = Arrays.copyOf(prefix, prefix.length + 1);
            upper[upper.length - 1] = (byte) 0xFF; // no UTF-8 byte is 0xFF: above every task id
            QueryResult<KeyValueIterator<Bytes, byte[]>> open = query(AsrStores.OPEN_TASKS,
                    RangeQuery.withRange(Bytes.wrap(prefix), Bytes.wrap(upper)), where.partition());
            if (!open.isSuccess()) {
                return unavailable(open);
            }
            List<TaskState> tasks = new ArrayList<>();
            try (KeyValueIterator<Bytes, byte[]> entries = open.getResult()) {
                while (entries.hasNext()) {
                    KeyValue<Bytes, byte[]> entry = entries.next();
                    tasks.add(TaskCodec.decode(StoreKeys.taskIdOf(entry.key.get()), entry.value));
                }
            }
            return new Answer.Found(AgentFigures.describe(key, stored.getResult(), tasks, settings));
        } catch (StreamsException e) {
            return new Answer.Unavailable("the topology's state cannot be read now: " + e.getMessage());
        }
    }

    /**
     * A fleet's latest written row per view: looked up at the roll-up's written-up-to point, then a
     * bucket earlier, and so on within the longest view, for views the fleet had nothing in lately.
     */
    public Answer fleet(String fleet) {
        try {
            KeyQueryMetadata where = streams.queryMetadataForKey(AsrStores.FLEET_WINDOWS, fleet, KEYS);
            Answer routed = route(where);
            if (routed != null) {
                return routed;
            }
            QueryResult<byte[]> progress = query(AsrStores.FLEET_PROGRESS, KeyQuery.withKey(FleetProcessor.PROGRESS), where.partition());
            if (!progress.isSuccess()) {
                return unavailable(progress);
            }
            long writtenUpTo = FleetProcessor.writtenUpTo(progress.getResult());
            if (writtenUpTo == Long.MIN_VALUE) {
                return new Answer.Missing("the topology has written no fleet rows yet");
            }
            long bucket = settings.bucketMs();
            long newest = AgentClock.floor(writtenUpTo, bucket);
            long oldest = newest - settings.longestView().toMillis();
            ObjectNode answer = RowJson.JSON.createObjectNode().put("fleet", fleet).put("written_up_to", RowJson.iso(writtenUpTo));
            ObjectNode views = answer.putObject("views");
            for (StreamsSettings.View view : settings.views()) {
                for (long end = newest; end > oldest; end -= bucket) {
                    QueryResult<byte[]> stored = query(AsrStores.FLEET_WINDOWS, KeyQuery.withKey(FleetWindowStore.key(end, view.name(), fleet)),
                            where.partition());
                    if (!stored.isSuccess()) {
                        return unavailable(stored);
                    }
                    if (stored.getResult() != null) {
                        FleetRollup.Accumulated window = FleetWindowStore.decode(stored.getResult());
                        if (window.written) {
                            views.set(view.name(), RowJson.of(FleetProcessor.row(settings, new FleetRollup.WindowKey(end, view.name(), fleet),
                                    window)));
                            break;
                        }
                    }
                }
            }
            if (views.isEmpty()) {
                return new Answer.Missing("the topology holds no rows for fleet " + fleet + " within the longest view");
            }
            return new Answer.Found(answer);
        } catch (StreamsException e) {
            return new Answer.Unavailable("the topology's state cannot be read now: " + e.getMessage());
        }
    }

    private Answer route(KeyQueryMetadata where) {
        if (where == null || where.equals(KeyQueryMetadata.NOT_AVAILABLE) || where.activeHost() == null) {
            return new Answer.Unavailable("no instance owns that partition now (the topology is starting or rebalancing)");
        }
        return where.activeHost().equals(self) ? null : new Answer.Elsewhere(where.activeHost());
    }

    private <R> QueryResult<R> query(String store, Query<R> query, int partition) {
        StateQueryResult<R> result = streams.query(StateQueryRequest.inStore(store).withQuery(query).withPartitions(Set.of(partition))
                .requireActive());
        QueryResult<R> answer = result.getPartitionResults().get(partition);
        if (answer == null) {
            throw new StreamsException("partition " + partition + " of store " + store + " gave no answer");
        }
        return answer;
    }

    private static Answer unavailable(QueryResult<?> failed) {
        return new Answer.Unavailable("the partition is not readable here now (" + failed.getFailureReason() + ": "
                + failed.getFailureMessage() + "); it may be restoring or moving");
    }
}
