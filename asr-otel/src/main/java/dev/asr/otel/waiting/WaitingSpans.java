package dev.asr.otel.waiting;

import com.google.protobuf.ByteString;
import dev.asr.otel.mapping.AgentRef;
import dev.asr.otel.mapping.Ancestry;
import dev.asr.otel.mapping.SpanMapper;
import dev.asr.otel.mapping.SpanMapper.Found;
import dev.asr.otel.mapping.SpanMapper.Waiting;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Identity across requests (contract §10): the agents that spans of earlier requests resolved to,
 * remembered for {@code wait} (at most {@code maxRemembered} spans, oldest forgotten first), and
 * the spans waiting for a span not seen yet, parked for at most {@code wait} (at most {@code
 * maxWaiting} spans and {@code maxWaitingBytes} of them). Thread-safe: look-ups take no lock;
 * changes take this object's.
 *
 * <p>Durability is the caller's: what {@link #apply} parks must be written before the request is
 * answered, and what it settles out of earlier requests must be released once written.
 */
public final class WaitingSpans implements Ancestry {

    /** A parked span and when it was parked. */
    public record Parked(Waiting span, long sinceMs) {}

    /**
     * What a request changed.
     *
     * @param settled this request's waiting spans whose agent turned out known after all (a request
     *     mapped at the same time named it)
     * @param claimed earlier requests' parked spans settled here, with their agent (null: none will
     *     come): released once their events are written, put back ({@link #putBack}) when they cannot be
     * @param parked this request's spans now waiting
     * @param moved earlier requests' spans that now wait for another span (the one they waited for waits itself)
     * @param refused this request's spans that found no room to wait
     */
    public record Applied(List<Found> settled, List<Claimed> claimed, List<Parked> parked, List<Parked> moved, List<Waiting> refused) {

        /** What must be written for the waiting spans to survive a restart: the parked and the moved. */
        public List<Parked> toKeep() {
            List<Parked> all = new ArrayList<>(parked);
            all.addAll(moved);
            return all;
        }
    }

    /** A parked span taken out, and the agent found for it (null: none will come). */
    public record Claimed(Parked parked, AgentRef agent) {

        public Found found() {
            return new Found(parked.span(), agent);
        }
    }

    private record Remembered(ByteString key, AgentRef agent, long atMs) {}

    private final long waitMs;
    private final int maxRemembered;
    private final int maxWaiting;
    private final long maxWaitingBytes;

    private final Map<ByteString, Remembered> agents = new ConcurrentHashMap<>();
    /** Remembered agents, oldest first: under this object's lock. */
    private final ArrayDeque<Remembered> rememberedOrder = new ArrayDeque<>();
    /** Parked spans by the key of the span they wait for; changed under the lock, read without. */
    private final Map<ByteString, List<Parked>> byAwaited = new ConcurrentHashMap<>();
    /** Parked spans by their own key, oldest first: under the lock. */
    private final LinkedHashMap<ByteString, Parked> byKey = new LinkedHashMap<>();
    private long waitingBytes;

    public WaitingSpans(Duration wait, int maxRemembered, int maxWaiting, long maxWaitingBytes) {
        this.waitMs = wait.toMillis();
        this.maxRemembered = maxRemembered;
        this.maxWaiting = maxWaiting;
        this.maxWaitingBytes = maxWaitingBytes;
    }

    @Override
    public AgentRef agentOf(ByteString span) {
        Remembered remembered = agents.get(span);
        return remembered == null ? null : remembered.agent();
    }

    @Override
    public boolean awaited(ByteString span) {
        return !byAwaited.isEmpty() && byAwaited.containsKey(span);
    }

    /**
     * Takes what a mapped request says: remembers the agents it resolved, settles the parked spans
     * waiting for them, moves those waiting for a span that itself waits, and parks the request's
     * own waiting spans — unless their agent became known meanwhile (another request, mapped at the
     * same time, named it), or there is no room.
     */
    public synchronized Applied apply(SpanMapper.Mapped mapped, long nowMs) {
        List<Found> settled = new ArrayList<>();
        List<Claimed> claimed = new ArrayList<>();
        List<Parked> parked = new ArrayList<>();
        List<Parked> moved = new ArrayList<>();
        List<Waiting> refused = new ArrayList<>();
        for (Map.Entry<ByteString, AgentRef> resolved : mapped.resolved().entrySet()) {
            remember(resolved.getKey(), resolved.getValue(), nowMs);
            for (Parked waiting : unpark(resolved.getKey())) {
                claimed.add(new Claimed(waiting, resolved.getValue()));
            }
        }
        for (Map.Entry<ByteString, ByteString> forwarded : mapped.forwarded().entrySet()) {
            for (Parked waiting : unpark(forwarded.getKey())) {
                ByteString next = forwarded.getValue();
                AgentRef agent = next.isEmpty() ? null : agentOf(next);
                if (next.isEmpty() || agent != null) {
                    claimed.add(new Claimed(waiting, agent));
                } else {
                    Parked waitsOn = new Parked(waiting.span().awaiting(next), waiting.sinceMs());
                    park(waitsOn);
                    moved.add(waitsOn);
                }
            }
        }
        for (Waiting waiting : mapped.waiting()) {
            AgentRef agent = agentOf(waiting.awaits());
            if (agent != null) {
                settled.add(new Found(waiting, agent));
            } else if (byKey.containsKey(waiting.key()) || room(waiting)) {
                // A resent span replaces itself and keeps its place.
                Parked kept = byKey.get(waiting.key());
                Parked fresh = new Parked(waiting, kept == null ? nowMs : kept.sinceMs());
                if (kept != null) {
                    unparkOne(kept);
                }
                park(fresh);
                parked.add(fresh);
            } else {
                refused.add(waiting);
            }
        }
        forget(nowMs);
        return new Applied(settled, claimed, parked, moved, refused);
    }

    /**
     * Parked spans that waited {@code wait}, taken out, oldest first. Ask {@link #agentOf} for the
     * span each awaits: a request may have named it and then failed to be written.
     */
    public synchronized List<Parked> expire(long nowMs) {
        List<Parked> expired = new ArrayList<>();
        Iterator<Parked> oldest = byKey.values().iterator();
        while (oldest.hasNext()) {
            Parked parked = oldest.next();
            if (parked.sinceMs() + waitMs > nowMs) {
                break;
            }
            oldest.remove();
            removeFromAwaited(parked);
            waitingBytes -= parked.span().span().getSerializedSize();
            expired.add(parked);
        }
        forget(nowMs);
        return expired;
    }

    /** Puts back spans taken out by {@link #apply} or {@link #expire} whose events could not be written: they wait again. */
    public synchronized void putBack(List<Parked> spans) {
        for (Parked parked : spans) {
            Parked kept = byKey.get(parked.span().key());
            if (kept != null) {
                unparkOne(kept);
            }
            park(parked);
        }
    }

    /** A span read back from where parked spans are kept (at start). */
    public synchronized void restore(Waiting span, long sinceMs) {
        putBack(List.of(new Parked(span, sinceMs)));
    }

    /** A span released before the restart: it no longer waits. */
    public synchronized void released(ByteString key) {
        Parked kept = byKey.get(key);
        if (kept != null) {
            unparkOne(kept);
        }
    }

    public synchronized int waiting() {
        return byKey.size();
    }

    public synchronized long waitingBytes() {
        return waitingBytes;
    }

    public synchronized int remembered() {
        return rememberedOrder.size();
    }

    public long waitMs() {
        return waitMs;
    }

    /** The key's parked spans, if any, oldest first; none is in the index after this. */
    private List<Parked> unpark(ByteString awaited) {
        List<Parked> spans = byAwaited.remove(awaited);
        if (spans == null) {
            return List.of();
        }
        for (Parked parked : spans) {
            byKey.remove(parked.span().key());
            waitingBytes -= parked.span().span().getSerializedSize();
        }
        return spans;
    }

    private void unparkOne(Parked parked) {
        byKey.remove(parked.span().key());
        waitingBytes -= parked.span().span().getSerializedSize();
        removeFromAwaited(parked);
    }

    private void removeFromAwaited(Parked parked) {
        byAwaited.computeIfPresent(parked.span().awaits(), (awaited, spans) -> {
            List<Parked> rest = new ArrayList<>(spans);
            rest.removeIf(p -> p.span().key().equals(parked.span().key()));
            return rest.isEmpty() ? null : rest;
        });
    }

    private boolean room(Waiting span) {
        return byKey.size() < maxWaiting && waitingBytes + span.span().getSerializedSize() <= maxWaitingBytes;
    }

    private void park(Parked parked) {
        byKey.put(parked.span().key(), parked);
        waitingBytes += parked.span().span().getSerializedSize();
        byAwaited.compute(parked.span().awaits(), (awaited, spans) -> {
            List<Parked> more = spans == null ? new ArrayList<>(1) : new ArrayList<>(spans);
            more.add(parked);
            return more;
        });
    }

    private void remember(ByteString key, AgentRef agent, long nowMs) {
        Remembered remembered = new Remembered(key, agent, nowMs);
        agents.put(key, remembered);
        rememberedOrder.addLast(remembered);
    }

    /** Forgets agents remembered longer than the wait, and the oldest past the cap. */
    private void forget(long nowMs) {
        while (!rememberedOrder.isEmpty()
                && (rememberedOrder.peekFirst().atMs() + waitMs <= nowMs || rememberedOrder.size() > maxRemembered)) {
            Remembered oldest = rememberedOrder.pollFirst();
            agents.remove(oldest.key(), oldest);
        }
    }
}
