package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.ingest.simulator.EventSink;
import dev.asr.ingest.simulator.FleetSettings;
import dev.asr.schemas.TopicNames;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A run of the simulated fleet ends with the simulator's error when it dies, not at its duration. */
class SimulationRunTest {

    /** Takes 50 events, then fails as a sink whose client broke would. */
    private static final class BreakingSink implements EventSink {
        final AtomicInteger taken = new AtomicInteger();

        private void take() {
            if (taken.incrementAndGet() > 50) {
                throw new IllegalStateException("the sink's client is closed");
            }
        }

        @Override
        public void spend(SpendEvent event) {
            take();
        }

        @Override
        public void outcome(OutcomeEvent event) {
            take();
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aSimulatorThatDiesEndsTheRunWithItsErrorInsteadOfRunningOnSilently() {
        BreakingSink sink = new BreakingSink();
        Lifetime lifetime = new Lifetime();
        long start = System.nanoTime();
        try {
            assertThatThrownBy(() -> SimulationRun.run(sink, TopicNames.DEFAULTS, new FleetSettings(10, 500, 1, "t"), lifetime,
                    Duration.ofMinutes(5), Duration.ofSeconds(30), new PrintWriter(new StringWriter()), () -> ""))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("the simulated fleet stopped on an error")
                    .hasMessageContaining("the sink's client is closed");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("ended at the error, not after its 5 minutes")
                    .isLessThan(Duration.ofSeconds(30));
        } finally {
            lifetime.shutDown(); // the JVM's exit does not wait for a shutdown that will not come
        }
    }
}
