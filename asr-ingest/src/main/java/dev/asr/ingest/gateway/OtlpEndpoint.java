package dev.asr.ingest.gateway;

import dev.asr.ingest.sdk.AsrClient;
import dev.asr.otel.mapping.SpanMapper;
import dev.asr.otel.mapping.SpanMapper.Waiting;
import dev.asr.otel.receiver.OtlpCodec;
import dev.asr.otel.receiver.OtlpSettings;
import dev.asr.otel.waiting.WaitingRecord;
import dev.asr.otel.waiting.WaitingSpans;
import dev.asr.otel.waiting.WaitingSpans.Claimed;
import dev.asr.otel.waiting.WaitingSpans.Parked;
import dev.asr.schemas.rules.EventRules;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Semaphore;
import org.apache.avro.specific.SpecificRecord;

/**
 * {@code POST /v1/traces}: OTLP/HTTP traces (protobuf or JSON, gzip or not) from agents
 * instrumented with OpenTelemetry's GenAI conventions, mapped to spend and outcome events
 * ({@link SpanMapper}) and answered as the OTLP specification says once Kafka acknowledged them:
 * 200 with {@code partial_success} naming how many spans were refused and why; errors as a {@code
 * google.rpc.Status} in the request's encoding: 400 for a body
 * that does not decode, 413 past {@code asr.ingest.max-body}, 429 and 503 with {@code
 * Retry-After} when the gateway or Kafka cannot take them now (the exporter retries; a resent
 * batch maps to the same event ids and counts once). At most {@code asr.otel.decode-budget} bytes
 * of bodies (inflated) decode at once (by default a quarter of the heap over sixteen, as a body
 * decodes to about sixteen times its size); a request that does not fit gets 429, so a burst of
 * large bodies cannot exhaust the heap while many small ones decode side by side.
 *
 * <p>A span whose agent span is in an earlier request inherits it ({@link WaitingSpans} remembers
 * agents for {@code asr.otel.wait}); one whose agent span has not come yet waits for it in the
 * {@link WaitingRoom}, written to Kafka before the request is answered, and is mapped when it comes.
 */
final class OtlpEndpoint {

    static final String PATH = "/v1/traces";
    static final String PROTOBUF = "application/x-protobuf";
    /** The reason of a span that would wait for its agent span and finds no room. */
    static final String WAITING_FULL = "waiting-full";
    private static final HttpString RETRY_AFTER = new HttpString("Retry-After");

    /** Sends encoded records and waits for Kafka; on failure it has answered (429 or 503) and returns false. */
    interface Delivery {
        boolean deliver(HttpServerExchange exchange, List<AsrClient.Encoded> records);
    }

    private final SpanMapper mapper;
    /** Kibibytes of bodies decoding and mapping at once: a body's span objects take many times its bytes. */
    private final Semaphore decoding;
    private final int budgetKib;
    private final Duration retryAfter;
    private final AsrClient client;
    private final GatewayMetrics metrics;
    private final Delivery delivery;
    private final Clock clock;
    private final int maxBodyBytes;
    private final WaitingSpans waiting;
    private final WaitingRoom room;

    OtlpEndpoint(OtlpSettings settings, EventRules rules, AsrClient client, GatewayMetrics metrics, Delivery delivery, Clock clock,
            int maxBodyBytes, Duration retryAfter) {
        this.mapper = new SpanMapper(settings.prices(), rules, settings.mapping());
        this.waiting = settings.waiting().spans();
        this.room = new WaitingRoom(waiting, mapper, settings.waiting(), client.settings().topics().deadLetters(), client.settings().kafka(),
                client, clock);
        metrics.waiting(waiting::waiting, waiting::waitingBytes, waiting::remembered, room::givenUp, room::deadLettered);
        this.budgetKib = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (settings.decodeBudget() > 0 ? settings.decodeBudget()
                : defaultBudget()) >> 10));
        this.decoding = new Semaphore(budgetKib);
        this.retryAfter = retryAfter;
        this.client = client;
        this.metrics = metrics;
        this.delivery = delivery;
        this.clock = clock;
        this.maxBodyBytes = maxBodyBytes;
    }

    /** An error answer as OTLP/HTTP wants it: a {@code google.rpc.Status} in the request's encoding (protobuf unless it sent JSON). */
    static void error(HttpServerExchange exchange, int status, String message) {
        boolean json = !protobuf(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, json ? "application/json" : PROTOBUF);
        exchange.getResponseSender().send(ByteBuffer.wrap(OtlpCodec.status(status, message, json)));
    }

    static boolean protobuf(String contentType) {
        return contentType != null && contentType.split(";", 2)[0].trim().equalsIgnoreCase(PROTOBUF);
    }

    /**
     * Bytes of bodies that may decode at once unless {@code asr.otel.decode-budget} says: a body
     * decodes to about sixteen times its size in span objects; a quarter of the heap is theirs.
     */
    static long defaultBudget() {
        return Runtime.getRuntime().maxMemory() / 4 / 16;
    }

    /** Starts reading back the spans that wait for their agent span; until it is done, requests get 503. */
    OtlpEndpoint start() {
        room.start();
        return this;
    }

    void close() {
        room.close();
    }

    /** On a worker thread, with the whole body. */
    void answer(HttpServerExchange exchange, Tokens.Grant grant, byte[] body) {
        if (!room.ready()) {
            exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(retryAfter.toSeconds()));
            IngestGateway.reply(exchange, 503, IngestGateway.error("not ready: " + room.notReadyBecause()));
            return;
        }
        boolean json = !protobuf(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        byte[] plain = inflate(exchange, body);
        if (plain == null) {
            return;
        }
        // A body larger than the whole budget decodes alone.
        int kib = (int) Math.min(budgetKib, Math.max(1, plain.length >> 10));
        if (!decoding.tryAcquire(kib)) {
            exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(retryAfter.toSeconds()));
            IngestGateway.reply(exchange, 429, IngestGateway.error("OTLP bodies of " + (budgetKib - decoding.availablePermits())
                    + " KiB are being decoded already and this one's " + (plain.length >> 10) + " KiB do not fit (asr.otel.decode-budget, "
                    + budgetKib + " KiB: a body takes memory many times its size while it is decoded): retry after Retry-After"));
            return;
        }
        Mapped mapped;
        try {
            SpanMapper.Mapped spans = decodeAndMap(exchange, grant, plain, json);
            mapped = spans == null ? null : join(spans);
        } finally {
            decoding.release(kib);
        }
        if (mapped != null) {
            deliver(exchange, mapped, json);
        }
    }

    /**
     * A request's events and what was refused, summed (the spans themselves are not kept past
     * decoding); the spans that now wait, and those of earlier requests it settled.
     */
    private record Mapped(List<SpecificRecord> events, Map<String, Integer> refused, String firstMessage, int ignored,
            Map<String, Integer> unpriced, List<Parked> parked, int newlyParked, List<Claimed> claimed, List<AsrClient.Encoded> deadLetters) {}

    /** The request's own mapping, with what the waiting spans made of it. */
    private Mapped join(SpanMapper.Mapped spans) {
        WaitingSpans.Applied applied = waiting.apply(spans, clock.millis());
        SpanMapper.Mapped known = mapper.settle(applied.settled(), clock.instant());
        SpanMapper.Mapped earlier = mapper.settle(applied.claimed().stream().map(Claimed::found).toList(), clock.instant());
        Map<String, Integer> refused = new TreeMap<>();
        Map<String, Integer> unpriced = new TreeMap<>(spans.unpricedByModel());
        known.unpricedByModel().forEach((model, n) -> unpriced.merge(model, n, Integer::sum));
        earlier.unpricedByModel().forEach((model, n) -> unpriced.merge(model, n, Integer::sum));
        String first = null;
        for (SpanMapper.Rejected rejected : concat(spans.rejected(), known.rejected())) {
            refused.merge(rejected.reason(), 1, Integer::sum);
            first = first != null ? first : "span " + rejected.spanId() + ": " + rejected.message();
        }
        for (Waiting full : applied.refused()) {
            refused.merge(WAITING_FULL, 1, Integer::sum);
            first = first != null ? first : "span " + full.spanId() + ": no invoke_agent span above it in this request or an earlier one, and"
                    + " no room to wait for it (" + waiting.waiting() + " spans wait already; asr.otel.max-waiting-spans,"
                    + " asr.otel.max-waiting-bytes): send a trace's spans together, or raise them";
        }
        List<SpecificRecord> events = new ArrayList<>(spans.spend());
        events.addAll(spans.outcomes());
        events.addAll(known.spend());
        events.addAll(known.outcomes());
        events.addAll(earlier.spend());
        events.addAll(earlier.outcomes());
        // A span of an earlier request that its agent's settlement refuses (an event rule) was answered 200 already: dead-lettered.
        List<AsrClient.Encoded> deadLetters = new ArrayList<>();
        Map<String, Waiting> bySpan = new HashMap<>();
        applied.claimed().forEach(c -> bySpan.put(c.parked().span().traceId() + "-" + c.parked().span().spanId(), c.parked().span()));
        for (SpanMapper.Rejected rejected : earlier.rejected()) {
            deadLetters.add(room.deadLetter(bySpan.get(rejected.traceId() + "-" + rejected.spanId()), rejected.reason(), rejected.message()));
        }
        return new Mapped(events, refused, first, spans.ignored() + known.ignored() + earlier.ignored(), unpriced, applied.toKeep(),
                applied.parked().size(), applied.claimed(), deadLetters);
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> both = new ArrayList<>(a);
        both.addAll(b);
        return both;
    }

    /** The body as sent, inflated when gzip; null when it was answered (an encoding not taken, gzip that does not inflate). */
    private byte[] inflate(HttpServerExchange exchange, byte[] body) {
        String encoding = exchange.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING);
        if (encoding == null || encoding.isBlank() || encoding.trim().equalsIgnoreCase("identity")) {
            return body;
        }
        if (!encoding.trim().equalsIgnoreCase("gzip")) {
            IngestGateway.reply(exchange, 415, IngestGateway.error("Content-Encoding '" + encoding + "' is not taken here: send gzip or none"));
            return null;
        }
        try {
            return OtlpCodec.inflate(body, maxBodyBytes);
        } catch (OtlpCodec.BadBody e) {
            IngestGateway.reply(exchange, e.tooLarge() ? 413 : 400, IngestGateway.error(e.getMessage()));
            return null;
        }
    }

    /** The request's events, or null when it was answered (a bad body). */
    private SpanMapper.Mapped decodeAndMap(HttpServerExchange exchange, Tokens.Grant grant, byte[] plain, boolean json) {
        ExportTraceServiceRequest request;
        try {
            request = OtlpCodec.decode(plain, json);
        } catch (OtlpCodec.BadBody e) {
            IngestGateway.reply(exchange, e.tooLarge() ? 413 : 400, IngestGateway.error(e.getMessage()));
            return null;
        }
        String onlyFleet = grant.fleets().size() == 1 && !grant.fleets().contains("*") ? grant.fleets().iterator().next() : null;
        return mapper.map(request, new SpanMapper.Sender(grant::mayWrite, onlyFleet), clock.instant(), waiting);
    }

    private void deliver(HttpServerExchange exchange, Mapped mapped, boolean json) {
        List<AsrClient.Encoded> records = new ArrayList<>(mapped.events().size());
        Map<String, Integer> refused = new TreeMap<>(mapped.refused());
        String firstMessage = mapped.firstMessage();
        for (SpecificRecord event : mapped.events()) {
            AsrClient.Encoded encoded = client.encode(event);
            if (encoded.size() > client.largestRecord()) {
                refused.merge(IngestGateway.RECORD_TOO_LARGE, 1, Integer::sum);
                firstMessage = firstMessage != null ? firstMessage : "an event of " + encoded.size() + " bytes is larger than Kafka takes";
            } else {
                records.add(encoded);
            }
        }
        int events = records.size();
        for (AsrClient.Encoded kept : room.keep(mapped.parked())) {
            if (kept.size() > client.largestRecord()) {
                // A span too large to keep cannot wait: refused like an event too large, and forgotten.
                waiting.released(WaitingRecord.spanKey(kept.record().key().getBytes(StandardCharsets.UTF_8)));
                refused.merge(IngestGateway.RECORD_TOO_LARGE, 1, Integer::sum);
                firstMessage = firstMessage != null ? firstMessage : "a span of " + kept.size() + " bytes waiting for its agent span is larger"
                        + " than Kafka takes";
            } else {
                records.add(kept);
            }
        }
        records.addAll(mapped.deadLetters().stream().filter(dead -> dead.size() <= client.largestRecord()).toList());
        if (!records.isEmpty() && !delivery.deliver(exchange, records)) {
            waiting.putBack(mapped.claimed().stream().map(Claimed::parked).toList());
            return;
        }
        room.release(mapped.claimed().stream().map(c -> c.parked().span().key()).toList());
        int refusedSpans = refused.values().stream().mapToInt(Integer::intValue).sum();
        metrics.accepted(PATH, events);
        metrics.rejected(PATH, refused);
        metrics.spans(events, mapped.ignored(), refusedSpans, mapped.unpriced());
        metrics.spansWaiting(mapped.newlyParked());
        String message = refusedSpans == 0 ? "" : refusedSpans + " span(s) refused, by reason: " + refused + "; first: " + firstMessage;
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, json ? "application/json" : PROTOBUF);
        exchange.getResponseSender().send(ByteBuffer.wrap(OtlpCodec.response(refusedSpans, message, json)));
    }
}
