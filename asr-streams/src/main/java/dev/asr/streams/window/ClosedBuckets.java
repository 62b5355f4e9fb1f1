package dev.asr.streams.window;

import dev.asr.streams.agent.AgentKey;
import dev.asr.streams.figures.Figures;
import java.util.function.BiConsumer;

/** Each agent's closed buckets, by bucket start, kept while they are within the longest view. */
public interface ClosedBuckets {

    /** The bucket's figures, or null when nothing happened in it (or it is gone). */
    Figures get(AgentKey agent, long start);

    void put(AgentKey agent, long start, Figures figures);

    void delete(AgentKey agent, long start);

    /** Visits the agent's buckets starting in [{@code from}, {@code to}), in time order. */
    void forEach(AgentKey agent, long from, long to, BiConsumer<Long, Figures> action);

    /** Deletes the agent's buckets starting before {@code start}. */
    void deleteBefore(AgentKey agent, long start);
}
