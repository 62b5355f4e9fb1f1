package dev.asr.ingest.simulator;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.ingest.sdk.AsrClient;
import dev.asr.ingest.sdk.AsrClientSettings;
import java.time.Duration;

/** Sends simulated events through the Java SDK, as an agent runtime on the JVM would. */
public final class SdkEventSink implements EventSink {

    private final AsrClient client;

    public SdkEventSink(AsrClientSettings settings) {
        this.client = AsrClient.create(settings);
    }

    @Override
    public void spend(SpendEvent event) {
        client.send(event);
    }

    @Override
    public void outcome(OutcomeEvent event) {
        client.send(event);
    }

    @Override
    public void flush() {
        client.flush();
    }

    @Override
    public long spendDelivered() {
        return client.spendAcknowledged();
    }

    @Override
    public long outcomesDelivered() {
        return client.acknowledged() - client.spendAcknowledged();
    }

    @Override
    public long failed() {
        return client.failed();
    }

    @Override
    public String lastError() {
        return client.lastFailure() == null ? null : client.lastFailure().getMessage();
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public void close(Duration grace) {
        client.close(grace);
    }
}
