package dev.asr.streams.state;

import dev.asr.event.Band;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendKind;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.agent.Agent;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.clock.AgentClock;
import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;
import dev.asr.streams.ledger.Settlement;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.state.codec.AgentCodec;
import dev.asr.streams.state.codec.SettlementCodec;
import dev.asr.streams.state.codec.TaskCodec;
import dev.asr.streams.window.AgentWindows;
import java.util.UUID;

/**
 * What the state of a typical agent takes in the stores, key and value, under the given settings:
 * for sizing disks and changelogs, and for the streams benchmark. An id or settled task is held
 * twice: in {@link AsrStores#SEEN_LOG} (its key and value, with two length bytes, in a record of up to
 * 128) and in {@link AsrStores#SEEN_INDEX} (its key, and where it is: about 12 bytes more).
 *
 * @param openTask an open task (task id: a UUID)
 * @param agent an agent with every view busy and its open buckets in use
 * @param eventId one event id remembered for de-duplication (a UUID)
 * @param settledTask one settled task remembered
 */
public record StateSizes(int openTask, int agent, int views, int openBuckets, int eventId, int settledTask) {

    private static final int LOG_OVERHEAD = 2;
    private static final int INDEX_LOCATION = 12;

    public static StateSizes typical(StreamsSettings settings) {
        AgentKey key = new AgentKey("knowledge", "knowledge-worker-17");
        String taskId = UUID.randomUUID().toString();
        TaskState task = new TaskState(taskId, new Figures(), 1_764_000_000_000L);
        for (int i = 0; i < 6; i++) {
            task.sums().addAction(SpendKind.INFERENCE, 18_000 + i, 1_800, 240);
        }
        int openTask = StoreKeys.task(key, taskId).length + TaskCodec.encode(task).length;

        long bucket = settings.bucketMs();
        int openBuckets = (int) (settings.grace().toMillis() / bucket) + 2;
        AgentWindows windows = new AgentWindows(settings.viewLengths());
        Figures busy = new Figures();
        busy.addAction(SpendKind.INFERENCE, 912_345, 54_000, 7_200);
        busy.addSettled(task.sums(), OutcomeStatus.SUCCEEDED, 25_000_000, 0);
        busy.add(Figure.CASH_SPEND, 1_012_345);
        for (int v = 0; v < windows.views().count(); v++) {
            windows.views().sums(v).plus(busy);
            windows.views().sums(v).plus(busy);
        }
        for (int i = 0; i < openBuckets; i++) {
            windows.bucket(1_764_000_000_000L + i * bucket).plus(busy);
        }
        Agent agent = new Agent(key, AgentClock.restore(bucket, settings.grace().toMillis(), 1_764_000_150_000L, 1_764_000_000_000L, 0),
                windows, Band.ASSISTED);
        int agentBytes = key.bytes().length + AgentCodec.encode(agent).length;

        int idKey = StoreKeys.seen((byte) 'e', key, UUID.randomUUID().toString()).length;
        int eventId = 2 * idKey + LOG_OVERHEAD + INDEX_LOCATION;
        int settlement = SettlementCodec.encode(new Settlement(1_764_000_150_000L, 1_764_000_120_000L, true)).length;
        int taskKey = StoreKeys.seen((byte) 't', key, taskId).length;
        int settledTask = 2 * (taskKey + settlement) + LOG_OVERHEAD + INDEX_LOCATION;
        return new StateSizes(openTask, agentBytes, windows.views().count(), openBuckets, eventId, settledTask);
    }
}
