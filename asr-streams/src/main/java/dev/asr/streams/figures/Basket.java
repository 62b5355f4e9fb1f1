package dev.asr.streams.figures;

import dev.asr.event.AgentWindowMetrics;
import dev.asr.event.Band;
import java.time.Instant;
import java.util.function.IntFunction;
import org.apache.avro.Schema;

/**
 * The telemetry basket of SPEC §2 as an {@code AgentWindowMetrics} row: the raw sums of every
 * {@link Figure}, every {@link Ratio} derived from them, and the burn rate (cash spend per second
 * of the window). Both tables are walked by field name, so a figure added to a table and to the
 * schema reaches the rows without another edit here.
 */
public final class Basket {

    static final double MICROS = 1_000_000.0;

    private static final Schema SCHEMA = AgentWindowMetrics.getClassSchema();
    private static final int[] FIGURE_POSITIONS = positions(Figure.ALL.length, i -> Figure.ALL[i].field());
    private static final int[] RATIO_POSITIONS = positions(Ratio.ALL.length, i -> Ratio.ALL[i].field());

    private Basket() {}

    /**
     * A window of one agent ({@code agentId} set) or of a fleet ({@code agentId} null).
     *
     * @param lastEventAt event time of the latest event behind the row (the agent's clock), or null
     */
    public record Window(String agentId, String fleet, String view, long startMs, long endMs, String currency, Long lastEventAt) {}

    public static AgentWindowMetrics metrics(Window window, Figures f, long openSpend, Band band, int agents) {
        AgentWindowMetrics row = new AgentWindowMetrics();
        row.setAgentId(window.agentId());
        row.setFleet(window.fleet());
        row.setWindow(window.view());
        row.setWindowStart(Instant.ofEpochMilli(window.startMs()));
        row.setWindowEnd(Instant.ofEpochMilli(window.endMs()));
        row.setCurrency(window.currency());
        row.setBand(band);
        row.setAgents(agents);
        row.setOpenSpendMicros(openSpend);
        row.setLastEventAt(window.lastEventAt() == null ? null : Instant.ofEpochMilli(window.lastEventAt()));
        for (Figure figure : Figure.ALL) {
            row.put(FIGURE_POSITIONS[figure.ordinal()], f.get(figure));
        }
        for (Ratio ratio : Ratio.ALL) {
            row.put(RATIO_POSITIONS[ratio.ordinal()], ratio.of(f));
        }
        double seconds = (window.endMs() - window.startMs()) / 1000.0;
        row.setBurnRate(seconds <= 0 ? null : f.get(Figure.CASH_SPEND) / MICROS / seconds);
        return row;
    }

    /** The raw sums of a row. */
    public static Figures figures(AgentWindowMetrics row) {
        long[] sums = new long[Figure.COUNT];
        for (Figure figure : Figure.ALL) {
            sums[figure.ordinal()] = (Long) row.get(FIGURE_POSITIONS[figure.ordinal()]);
        }
        return Figures.of(sums);
    }

    private static int[] positions(int count, IntFunction<String> field) {
        int[] positions = new int[count];
        for (int i = 0; i < count; i++) {
            Schema.Field f = SCHEMA.getField(field.apply(i));
            if (f == null) {
                throw new IllegalStateException("AgentWindowMetrics has no field " + field.apply(i) + ": add it to the schema");
            }
            positions[i] = f.pos();
        }
        return positions;
    }
}
