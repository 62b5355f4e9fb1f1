package dev.asr.ingest.gateway;

import dev.asr.ingest.sdk.AsrClient;
import dev.asr.otel.mapping.SpanMapper;
import dev.asr.otel.receiver.OtlpCodec;
import dev.asr.otel.receiver.OtlpSettings;
import dev.asr.schemas.rules.EventRules;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
 * batch maps to the same event ids and counts once). At most {@code asr.otel.max-concurrent}
 * requests decode at once (by default what a quarter of the heap holds at the body limit); more
 * get 429, so a burst of large bodies cannot exhaust the heap.
 */
final class OtlpEndpoint {

    static final String PATH = "/v1/traces";
    static final String PROTOBUF = "application/x-protobuf";
    private static final HttpString RETRY_AFTER = new HttpString("Retry-After");

    /** Sends encoded records and waits for Kafka; on failure it has answered (429 or 503) and returns false. */
    interface Delivery {
        boolean deliver(HttpServerExchange exchange, List<AsrClient.Encoded> records);
    }

    private final SpanMapper mapper;
    /** Requests decoding and mapping at once: a body's span objects take many times its bytes. */
    private final Semaphore decoding;
    private final int maxDecoding;
    private final Duration retryAfter;
    private final AsrClient client;
    private final GatewayMetrics metrics;
    private final Delivery delivery;
    private final Clock clock;
    private final int maxBodyBytes;

    OtlpEndpoint(OtlpSettings settings, EventRules rules, AsrClient client, GatewayMetrics metrics, Delivery delivery, Clock clock,
            int maxBodyBytes, Duration retryAfter) {
        this.mapper = new SpanMapper(settings.prices(), rules, settings.mapping());
        this.maxDecoding = settings.maxConcurrent() > 0 ? settings.maxConcurrent() : defaultConcurrency(maxBodyBytes);
        this.decoding = new Semaphore(maxDecoding);
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
     * How many requests may decode at once unless {@code asr.otel.max-concurrent} says: a body at the
     * limit decodes to about sixteen times its size in span objects; a quarter of the heap is theirs.
     */
    static int defaultConcurrency(int maxBodyBytes) {
        long perRequest = 16L * maxBodyBytes;
        return (int) Math.max(1, Math.min(16, Runtime.getRuntime().maxMemory() / 4 / perRequest));
    }

    /** On a worker thread, with the whole body. */
    void answer(HttpServerExchange exchange, Tokens.Grant grant, byte[] body) {
        if (!decoding.tryAcquire()) {
            exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(retryAfter.toSeconds()));
            IngestGateway.reply(exchange, 429, IngestGateway.error(maxDecoding + " OTLP requests are being decoded already"
                    + " (asr.otel.max-concurrent; each takes memory many times its body): retry after Retry-After"));
            return;
        }
        Mapped mapped;
        boolean json = !protobuf(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        try {
            SpanMapper.Mapped spans = decodeAndMap(exchange, grant, body, json);
            mapped = spans == null ? null : Mapped.of(spans);
        } finally {
            decoding.release();
        }
        if (mapped != null) {
            deliver(exchange, mapped, json);
        }
    }

    /** A request's events and what was refused, summed: the spans themselves are not kept past decoding. */
    private record Mapped(List<SpecificRecord> events, Map<String, Integer> refused, String firstMessage, int ignored,
            Map<String, Integer> unpriced) {

        static Mapped of(SpanMapper.Mapped spans) {
            Map<String, Integer> refused = new TreeMap<>();
            String first = null;
            for (SpanMapper.Rejected rejected : spans.rejected()) {
                refused.merge(rejected.reason(), 1, Integer::sum);
                first = first != null ? first : "span " + rejected.spanId() + ": " + rejected.message();
            }
            List<SpecificRecord> events = new ArrayList<>(spans.spend());
            events.addAll(spans.outcomes());
            return new Mapped(events, refused, first, spans.ignored(), spans.unpricedByModel());
        }
    }

    /** The request's events, or null when it was answered (a bad body). */
    private SpanMapper.Mapped decodeAndMap(HttpServerExchange exchange, Tokens.Grant grant, byte[] body, boolean json) {
        ExportTraceServiceRequest request;
        try {
            String encoding = exchange.getRequestHeaders().getFirst(Headers.CONTENT_ENCODING);
            byte[] plain = body;
            if (encoding != null && encoding.trim().equalsIgnoreCase("gzip")) {
                plain = OtlpCodec.inflate(body, maxBodyBytes);
            } else if (encoding != null && !encoding.isBlank() && !encoding.trim().equalsIgnoreCase("identity")) {
                IngestGateway.reply(exchange, 415, IngestGateway.error("Content-Encoding '" + encoding + "' is not taken here: send gzip or"
                        + " none"));
                return null;
            }
            request = OtlpCodec.decode(plain, json);
        } catch (OtlpCodec.BadBody e) {
            IngestGateway.reply(exchange, e.tooLarge() ? 413 : 400, IngestGateway.error(e.getMessage()));
            return null;
        }
        String onlyFleet = grant.fleets().size() == 1 && !grant.fleets().contains("*") ? grant.fleets().iterator().next() : null;
        return mapper.map(request, new SpanMapper.Sender(grant::mayWrite, onlyFleet), clock.instant());
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
        if (!records.isEmpty() && !delivery.deliver(exchange, records)) {
            return;
        }
        int refusedSpans = refused.values().stream().mapToInt(Integer::intValue).sum();
        metrics.accepted(PATH, records.size());
        metrics.rejected(PATH, refused);
        metrics.spans(records.size(), mapped.ignored(), refusedSpans, mapped.unpriced());
        String message = refusedSpans == 0 ? "" : refusedSpans + " span(s) refused, by reason: " + refused + "; first: " + firstMessage;
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, json ? "application/json" : PROTOBUF);
        exchange.getResponseSender().send(ByteBuffer.wrap(OtlpCodec.response(refusedSpans, message, json)));
    }
}
