package dev.asr.streams.fleet;

import dev.asr.streams.figures.Figures;

/** What the agent side sends the fleet roll-up, through the fleet-inputs repartition topic. */
public sealed interface FleetInput {

    /**
     * One agent's window, to be added to its fleet's.
     *
     * @param lastEventAt event time of the agent's latest event
     */
    record Contribution(String fleet, String view, long startMs, long endMs, Figures sums, long openSpend, long lastEventAt)
            implements FleetInput {}

    /**
     * Input partition {@code source} (of {@code sources}) has written every agent's rows for the
     * windows ending at or before {@code upTo}; {@link PartitionWatermark#EMPTY} when it holds no
     * agent. Sent to every partition of the roll-up.
     */
    record Watermark(int source, int sources, long upTo) implements FleetInput {}
}
