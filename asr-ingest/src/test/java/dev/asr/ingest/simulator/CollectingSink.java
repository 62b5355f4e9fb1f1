package dev.asr.ingest.simulator;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;

/** Keeps every event in order, for tests that inspect what the simulator produced. */
final class CollectingSink implements EventSink {

    final List<SpecificRecord> events = new ArrayList<>();
    final List<SpendEvent> spend = new ArrayList<>();
    final List<OutcomeEvent> outcomes = new ArrayList<>();

    @Override
    public void spend(SpendEvent event) {
        events.add(event);
        spend.add(event);
    }

    @Override
    public void outcome(OutcomeEvent event) {
        events.add(event);
        outcomes.add(event);
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
}
