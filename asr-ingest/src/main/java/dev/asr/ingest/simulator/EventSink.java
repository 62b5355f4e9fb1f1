package dev.asr.ingest.simulator;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;

/** Where simulated events go: Kafka directly, the SDK, or the HTTP gateway. */
public interface EventSink extends AutoCloseable {

    void spend(SpendEvent event);

    void outcome(OutcomeEvent event);

    /** Blocks until everything sent so far is delivered (or has failed). */
    void flush();

    @Override
    void close();
}
