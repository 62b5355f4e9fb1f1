package dev.asr.ingest.simulator;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.ingest.sdk.Authorization;
import dev.asr.ingest.sdk.Authorizer;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * Simulated agents that ask before they move money (contract §9): every TRANSACTION is first put to
 * {@code POST /v1/authorize} (its event id as the authorization id, so a retry is the same
 * question); an ALLOW is spent carrying the authorization, a REVIEW or DENY is not spent at all.
 * Counts decisions per band for the progress line, and tells {@code notes} when an agent's limit
 * changes with its band.
 */
public final class AuthorizingSink implements EventSink {

    private final EventSink next;
    private final Authorizer authorizer;
    private final Consumer<String> notes;
    /** Decisions since the last {@link #summary()}, by band, then decision. */
    private final Map<String, Map<String, Integer>> recent = new TreeMap<>();
    private final Map<String, Long> limits = new ConcurrentHashMap<>();
    private final Map<String, String> bands = new ConcurrentHashMap<>();
    private long unavailable;

    public AuthorizingSink(EventSink next, Authorizer authorizer, Consumer<String> notes) {
        this.next = next;
        this.authorizer = authorizer;
        this.notes = notes;
    }

    @Override
    public void spend(SpendEvent event) {
        if (event.getKind() != SpendKind.TRANSACTION) {
            next.spend(event);
            return;
        }
        Authorization decision;
        try {
            decision = authorizer.authorize(event.getEventId(), event.getFleet(), event.getAgentId(), event.getCostMicros(), event.getKind(),
                    event.getTaskId());
        } catch (Authorizer.AuthorizationUnavailableException e) {
            synchronized (this) {
                unavailable++;
            }
            return;
        }
        synchronized (this) {
            recent.computeIfAbsent(decision.band(), b -> new TreeMap<>()).merge(decision.decision(), 1, Integer::sum);
        }
        String agent = event.getAgentId();
        Long before = limits.put(agent, decision.limitMicros());
        String bandBefore = bands.put(agent, decision.band());
        if (before != null && before != decision.limitMicros()) {
            notes.accept(String.format(Locale.ROOT, "allowance %-18s %s -> %s: limit %,.2f -> %,.2f, %,.2f remaining", agent,
                    bandBefore, decision.band(), before / 1e6, decision.limitMicros() / 1e6, decision.remainingMicros() / 1e6));
        }
        if (decision.allowed()) {
            next.spend(SpendEvent.newBuilder(event).setAuthorizationId(decision.authorizationId()).build());
        }
    }

    /** Decisions per band since the last call, e.g. {@code SELF_DIRECTED 40 ALLOW; UNRATED 12 ALLOW 3 DENY}; empty when none. */
    public synchronized String summary() {
        StringBuilder line = new StringBuilder();
        recent.forEach((band, counts) -> {
            line.append(line.length() == 0 ? "" : "; ").append(band);
            counts.forEach((decision, count) -> line.append(' ').append(count).append(' ').append(decision));
        });
        if (unavailable > 0) {
            line.append(line.length() == 0 ? "" : "; ").append(unavailable).append(" unanswered");
        }
        recent.clear();
        unavailable = 0;
        return line.toString();
    }

    @Override
    public void outcome(OutcomeEvent event) {
        next.outcome(event);
    }

    @Override
    public void flush() {
        next.flush();
    }

    @Override
    public long spendDelivered() {
        return next.spendDelivered();
    }

    @Override
    public long outcomesDelivered() {
        return next.outcomesDelivered();
    }

    @Override
    public long failed() {
        return next.failed();
    }

    @Override
    public String lastError() {
        return next.lastError();
    }

    @Override
    public void close() {
        next.close();
    }

    @Override
    public void close(Duration grace) {
        next.close(grace);
    }
}
