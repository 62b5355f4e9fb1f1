package dev.asr.streams.query;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.asr.event.Band;
import dev.asr.streams.StreamsSettings;
import dev.asr.streams.agent.Agent;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.clock.AgentClock;
import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.state.codec.AgentCodec;
import dev.asr.streams.window.AgentWindows;
import dev.asr.streams.window.RollingViews;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The read API's agent answer from stored bytes, with numbers worked out by hand. */
class AgentFiguresTest {

    private static final long MINUTE = 60_000;
    /** 2026-12-02T10:00:00Z. */
    private static final long TEN = Instant.parse("2026-12-02T10:00:00Z").toEpochMilli();
    private static final StreamsSettings SETTINGS = StreamsSettings.from(Map.of("asr.views", "5m,1h", "asr.band.view", "1h"));

    @Test
    void eachViewEndsAtTheLastClosedBucketWithItsSumsAndRatiosAndTheOpenTasksSpendBeside() {
        Figures fiveMinutes = figures(400_000, 300_000, 4, 3);
        Figures hour = figures(2_000_000, 500_000, 20, 5);
        AgentKey key = new AgentKey("trading", "bot-1");
        Agent agent = new Agent(key, AgentClock.restore(MINUTE, 30_000, TEN + 40_000, TEN, 0),
                new AgentWindows(new RollingViews(new long[] {5 * MINUTE, 60 * MINUTE}, new Figures[] {fiveMinutes, hour}), new long[0],
                        new Figures[0]), Band.ASSISTED);
        List<TaskState> open = List.of(new TaskState("t1", figures(70_000, 0, 0, 0), TEN), new TaskState("t2", figures(5_000, 0, 0, 0), TEN));

        JsonNode answer = AgentFigures.describe(key, AgentCodec.encode(agent), open, SETTINGS);

        assertThat(answer.get("band").asText()).isEqualTo("ASSISTED");
        assertThat(answer.get("closed_up_to").asText()).isEqualTo("2026-12-02T10:00:00Z");
        assertThat(answer.get("last_event_at").asText()).isEqualTo("2026-12-02T10:00:40Z");
        assertThat(answer.get("open_tasks").asInt()).isEqualTo(2);
        assertThat(answer.get("open_spend_micros").asLong()).isEqualTo(75_000);
        JsonNode five = answer.at("/views/5m");
        assertThat(five.get("window_start").asText()).isEqualTo("2026-12-02T09:55:00Z");
        assertThat(five.get("window_end").asText()).isEqualTo("2026-12-02T10:00:00Z");
        assertThat(five.get("spend_micros").asLong()).isEqualTo(400_000);
        assertThat(five.get("asr").asDouble()).as("300,000 / 400,000").isEqualTo(0.75);
        assertThat(five.get("win_rate").asDouble()).as("3 of 4 settled").isEqualTo(0.75);
        assertThat(five.get("open_spend_micros").asLong()).isEqualTo(75_000);
        JsonNode full = answer.at("/views/1h");
        assertThat(full.get("window_start").asText()).isEqualTo("2026-12-02T09:00:00Z");
        assertThat(full.get("asr").asDouble()).as("500,000 / 2,000,000").isEqualTo(0.25);
        assertThat(full.get("settled_tasks").asLong()).isEqualTo(20);
        assertThat(full.get("band").asText()).isEqualTo("ASSISTED");
        assertThat(full.has("agent_id")).as("named once, above").isFalse();
    }

    @Test
    void aViewLengthNoLongerConfiguredIsNamedByItsDuration() {
        assertThat(AgentFigures.viewName(SETTINGS, 5 * MINUTE)).isEqualTo("5m");
        assertThat(AgentFigures.viewName(SETTINGS, 15 * MINUTE)).isEqualTo("15m");
    }

    private static Figures figures(long spend, long autonomousSpend, long settled, long succeeded) {
        long[] sums = new long[Figure.COUNT];
        sums[Figure.SPEND.ordinal()] = spend;
        sums[Figure.CASH_SPEND.ordinal()] = spend;
        sums[Figure.AUTONOMOUS_SPEND.ordinal()] = autonomousSpend;
        sums[Figure.SETTLED_TASKS.ordinal()] = settled;
        sums[Figure.SUCCEEDED_TASKS.ordinal()] = succeeded;
        return Figures.of(sums);
    }
}
