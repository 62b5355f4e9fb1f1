package dev.asr.streams.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.schemas.Durations;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.agent.Agent;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.figures.Basket;
import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.state.codec.AgentCodec;
import dev.asr.streams.window.RollingViews;
import java.time.Duration;

/**
 * One agent's figures per view as the topology holds them, for the read API: each view summed up
 * to the end of the agent's last closed bucket — the same numbers as the agent's latest row in
 * {@code asr.agent-metrics.v1} for that view — with its band, clock, and the spend of its open
 * tasks (which, as in the rows, is not in the ratio). Pure: stored bytes in, an answer out.
 */
public final class AgentFigures {

    private AgentFigures() {}

    /**
     * @param stored the agent's entry in the agents store
     * @param openTasks its open tasks, as stored
     */
    public static ObjectNode describe(AgentKey key, byte[] stored, Iterable<TaskState> openTasks, StreamsSettings settings) {
        Agent agent = AgentCodec.decode(key, stored, settings.bucketMs(), settings.grace().toMillis(), 0L);
        long openSpend = 0;
        int open = 0;
        for (TaskState task : openTasks) {
            openSpend = Figures.sum(openSpend, task.sums().get(Figure.SPEND));
            open++;
        }
        long end = agent.clock().closedUpTo();
        long lastEventAt = agent.clock().highWater();
        ObjectNode answer = RowJson.JSON.createObjectNode().put("fleet", key.fleet()).put("agent_id", key.agentId())
                .put("band", agent.band().name()).put("closed_up_to", RowJson.iso(end)).put("last_event_at", RowJson.iso(lastEventAt))
                .put("open_tasks", open).put("open_spend_micros", openSpend);
        ObjectNode views = answer.putObject("views");
        RollingViews held = agent.windows().views();
        for (int v = 0; v < held.count(); v++) {
            long length = held.length(v);
            String name = viewName(settings, length);
            Basket.Window window = new Basket.Window(key.agentId(), key.fleet(), name, end - length, end, settings.currency(), lastEventAt);
            views.set(name, RowJson.of(Basket.metrics(window, held.sums(v), openSpend, agent.band(), 1)));
        }
        return answer;
    }

    /** The configured name of a view of this length; a length no longer configured (views changed, not yet rebuilt) by its duration. */
    static String viewName(StreamsSettings settings, long lengthMs) {
        for (StreamsSettings.View view : settings.views()) {
            if (view.length().toMillis() == lengthMs) {
                return view.name();
            }
        }
        return Durations.format(Duration.ofMillis(lengthMs));
    }
}
