package dev.asr.streams.state.codec;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.Band;
import dev.asr.event.SpendKind;
import dev.asr.streams.agent.Agent;
import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.clock.AgentClock;
import dev.asr.streams.figures.Figure;
import dev.asr.streams.figures.Figures;
import dev.asr.streams.fleet.FleetInput;
import dev.asr.streams.ledger.Settlement;
import dev.asr.streams.ledger.TaskState;
import dev.asr.streams.window.AgentWindows;
import org.junit.jupiter.api.Test;

/** Every stored form reads back what was written, and stays the same size however many events made it. */
class StateCodecsTest {

    private static final long M = 60_000;

    @Test
    void figuresRoundTripAndStateWrittenBeforeAFigureExistedReadsItAsZero() {
        Figures f = new Figures();
        f.addAction(SpendKind.HUMAN, 123_456_789, 1, 2);
        f.add(Figure.LATE_RECORDS, 3);
        assertThat(FiguresCodec.decode(FiguresCodec.encode(f))).isEqualTo(f);
        byte[] older = new ByteSink(8).writeVarLong(2).writeVarLong(500).writeVarLong(-7).toArray();
        Figures read = FiguresCodec.decode(older);
        assertThat(read.get(Figure.SPEND)).isEqualTo(500);
        assertThat(read.get(Figure.AUTONOMOUS_SPEND)).isEqualTo(-7);
        assertThat(read.get(Figure.LATE_RECORDS)).isZero();
    }

    @Test
    void anAgentRoundTripsItsClockBandViewsAndOpenBuckets() {
        AgentWindows windows = new AgentWindows(new long[] {M, 5 * M});
        windows.bucket(10 * M).add(Figure.CASH_SPEND, 42);
        windows.views().sums(1).add(Figure.SPEND, 99);
        Agent agent = new Agent(new AgentKey("support", "bot-1"), AgentClock.restore(M, 2 * M, 11 * M + 5, 9 * M, 0), windows, Band.ASSISTED);
        Agent read = AgentCodec.decode(agent.key(), AgentCodec.encode(agent), M, 2 * M, 0);
        assertThat(read.band()).isEqualTo(Band.ASSISTED);
        assertThat(read.clock().highWater()).isEqualTo(11 * M + 5);
        assertThat(read.clock().closedUpTo()).isEqualTo(9 * M);
        assertThat(read.windows().views().hasLengths(new long[] {M, 5 * M})).isTrue();
        assertThat(read.windows().views().sums(1).get(Figure.SPEND)).isEqualTo(99);
        assertThat(read.windows().bucket(10 * M).get(Figure.CASH_SPEND)).isEqualTo(42);
    }

    @Test
    void aTaskTakesTheSameFewBytesAfterAMillionEventsAsAfterOne() {
        TaskState task = new TaskState("t-1", new Figures(), 0);
        task.sums().addAction(SpendKind.INFERENCE, 1_000, 10, 5);
        int afterOne = TaskCodec.encode(task).length;
        for (int i = 1; i < 1_000_000; i++) {
            task.sums().addAction(SpendKind.INFERENCE, 1_000, 10, 5);
        }
        byte[] afterAMillion = TaskCodec.encode(task);
        assertThat(afterAMillion.length).isLessThanOrEqualTo(afterOne + 12).isLessThan(64);
        assertThat(TaskCodec.decode("t-1", afterAMillion).sums()).isEqualTo(task.sums());
    }

    @Test
    void settlementsAndFleetInputsRoundTrip() {
        Settlement s = new Settlement(123_456, 120_000, true);
        assertThat(SettlementCodec.decode(SettlementCodec.encode(s))).isEqualTo(s);
        Figures sums = new Figures();
        sums.add(Figure.VALUE, 5);
        FleetInput.Contribution c = new FleetInput.Contribution("support", "1h", 0, 3_600_000, sums, 7, 3_599_000);
        assertThat(FleetInputCodec.decode(FleetInputCodec.encode(c))).isEqualTo(c);
        FleetInput.Watermark w = new FleetInput.Watermark(3, 4, Long.MAX_VALUE);
        assertThat(FleetInputCodec.decode(FleetInputCodec.encode(w))).isEqualTo(w);
    }
}
