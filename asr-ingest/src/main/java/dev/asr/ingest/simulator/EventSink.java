package dev.asr.ingest.simulator;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import java.time.Duration;

/** Where simulated events go: the SDK (straight to Kafka) or the HTTP gateway. */
public interface EventSink extends AutoCloseable {

    void spend(SpendEvent event);

    void outcome(OutcomeEvent event);

    /** Blocks until everything sent so far is delivered (or has failed). */
    void flush();

    /** Spend events delivered (acknowledged by Kafka, or answered 202 by the gateway). */
    default long spendDelivered() {
        return 0;
    }

    default long outcomesDelivered() {
        return 0;
    }

    default long failed() {
        return 0;
    }

    /** The most recent delivery failure, or null. */
    default String lastError() {
        return null;
    }

    @Override
    void close();

    /** Closes, giving up on what is still undelivered after {@code grace} (counted as failed where the sink can). */
    default void close(Duration grace) {
        close();
    }
}
