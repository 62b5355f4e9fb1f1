package dev.asr.app.bench;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.ingest.simulator.EventSink;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.SplittableRandom;

/**
 * A fleet as production sees it: one agent in five stamps its events four minutes ahead (a host
 * clock running fast, within {@code asr.max-clock-skew}), one in five two minutes behind, and 5% of
 * events are sent again a while later with the same {@code event_id} and a new {@code occurred_at}
 * (a client retrying through a gateway that stamps arrival time).
 */
final class SkewedResendingSink implements EventSink {

    static final double RESEND_RATE = 0.05;
    private static final Duration AHEAD = Duration.ofMinutes(4);
    private static final Duration BEHIND = Duration.ofMinutes(2);
    /** Resends go out this many events after their original. */
    private static final int RESEND_DELAY = 2_000;

    private final EventSink sink;
    private final SplittableRandom random = new SplittableRandom(11);
    private final Deque<Object> pending = new ArrayDeque<>();
    private long resent;

    SkewedResendingSink(EventSink sink) {
        this.sink = sink;
    }

    @Override
    public void spend(SpendEvent event) {
        SpendEvent skewed = SpendEvent.newBuilder(event).setOccurredAt(event.getOccurredAt().plus(skew(event.getAgentId()))).build();
        sink.spend(skewed);
        maybeResend(skewed);
    }

    @Override
    public void outcome(OutcomeEvent event) {
        OutcomeEvent skewed = OutcomeEvent.newBuilder(event).setOccurredAt(event.getOccurredAt().plus(skew(event.getAgentId()))).build();
        sink.outcome(skewed);
        maybeResend(skewed);
    }

    private static Duration skew(String agentId) {
        return switch (Math.floorMod(agentId.hashCode(), 5)) {
            case 0 -> AHEAD;
            case 1 -> BEHIND.negated();
            default -> Duration.ZERO;
        };
    }

    private void maybeResend(Object event) {
        if (random.nextDouble() < RESEND_RATE) {
            pending.addLast(event);
        }
        if (pending.size() > RESEND_DELAY * RESEND_RATE) {
            resend(pending.removeFirst());
        }
    }

    private void resend(Object event) {
        resent++;
        if (event instanceof SpendEvent spend) {
            sink.spend(SpendEvent.newBuilder(spend).setOccurredAt(spend.getOccurredAt().plusSeconds(20)).build());
        } else {
            OutcomeEvent outcome = (OutcomeEvent) event;
            sink.outcome(OutcomeEvent.newBuilder(outcome).setOccurredAt(outcome.getOccurredAt().plusSeconds(20)).build());
        }
    }

    /** Events resent so far: each should count as a duplicate. */
    long resent() {
        return resent;
    }

    @Override
    public void flush() {
        while (!pending.isEmpty()) {
            resend(pending.removeFirst());
        }
        sink.flush();
    }

    @Override
    public long spendDelivered() {
        return sink.spendDelivered();
    }

    @Override
    public long outcomesDelivered() {
        return sink.outcomesDelivered();
    }

    @Override
    public long failed() {
        return sink.failed();
    }

    @Override
    public String lastError() {
        return sink.lastError();
    }

    @Override
    public void close() {
        sink.close();
    }
}
