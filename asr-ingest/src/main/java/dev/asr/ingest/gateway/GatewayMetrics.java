package dev.asr.ingest.gateway;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The gateway's {@code /metrics}: requests by endpoint and status code, records accepted and
 * rejected (by reason), requests under way, the send buffer, and whether Kafka answers. Every label
 * takes values from a closed set (unknown paths are {@code other}), so no client can grow the series.
 */
final class GatewayMetrics {

    private static final Set<String> ENDPOINTS = Set.of("/v1/spend", "/v1/outcomes", "/v1/authorize", "/v1/authorize/release",
            "/openapi.json", "/healthz", "/readyz", "/metrics", "/v1/traces");
    /** At most this many models get their own unpriced series; the rest count under model="other". */
    static final int MAX_UNPRICED_MODELS = 500;

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final Counter requests = Counter.builder().name("asr_ingest_requests_total")
            .help("HTTP requests answered, by endpoint (other: any unknown path) and status code")
            .labelNames("endpoint", "code").register(registry);
    private final Counter accepted = Counter.builder().name("asr_ingest_records_accepted_total")
            .help("Records acknowledged by Kafka and answered 202, by endpoint")
            .labelNames("endpoint").register(registry);
    private final Counter rejected = Counter.builder().name("asr_ingest_records_rejected_total")
            .help("Records refused one by one in a 202 or 400 answer, by endpoint and reason (the reason of the answer's errors)")
            .labelNames("endpoint", "reason").register(registry);

    private final Counter spans = Counter.builder().name("asr_ingest_otlp_spans_total")
            .help("OpenTelemetry spans received on /v1/traces, by what became of them: mapped (to an event), ignored (not a GenAI"
                    + " span, or one with no event of its own), rejected (see asr_ingest_records_rejected_total{endpoint=\"/v1/traces\"}),"
                    + " waiting (for their agent span, in a later request; counted mapped once it comes)")
            .labelNames("result").register(registry);
    private final Counter unpriced = Counter.builder().name("asr_ingest_otlp_unpriced_spans_total")
            .help("Model calls reported with no cost whose model no price table names: their spend counts 0, their tokens are kept;"
                    + " by model (the first " + MAX_UNPRICED_MODELS + " models seen; then other)")
            .labelNames("model").register(registry);
    private final Set<String> unpricedModels = ConcurrentHashMap.newKeySet();

    GatewayMetrics(IntSupplier requestsUnderWay, IntSupplier buffered, int capacity, BooleanSupplier kafkaAnswers) {
        GaugeWithCallback.builder().name("asr_ingest_requests_in_flight")
                .help("Postings admitted and not yet answered (capped by asr.ingest.max-requests)")
                .callback(cb -> cb.call(requestsUnderWay.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("asr_ingest_buffer_records")
                .help("Records handed to Kafka and not yet acknowledged; at asr_ingest_buffer_capacity_records postings get 429")
                .callback(cb -> cb.call(buffered.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("asr_ingest_buffer_capacity_records")
                .help("How many records the gateway buffers at most (asr.client.capacity)")
                .callback(cb -> cb.call(capacity)).register(registry);
        GaugeWithCallback.builder().name("asr_ingest_kafka_up")
                .help("1 while Kafka and the schema registry answer the gateway's checks, 0 otherwise (see /readyz for why)")
                .callback(cb -> cb.call(kafkaAnswers.getAsBoolean() ? 1 : 0)).register(registry);
    }

    /** More series on the same {@code /metrics} (the allowances'). */
    void register(MultiCollector collector) {
        registry.register(collector);
    }

    /** The endpoint label of a request path. */
    static String endpoint(String path) {
        if (ENDPOINTS.contains(path)) {
            return path;
        }
        if (path.startsWith(ReadEndpoint.AGENTS)) {
            return "/v1/agents/{fleet}/{agent_id}";
        }
        return path.startsWith(ReadEndpoint.FLEETS) ? "/v1/fleets/{fleet}" : "other";
    }

    void answered(String path, int status) {
        requests.labelValues(endpoint(path), Integer.toString(status)).inc();
    }

    void accepted(String path, int records) {
        if (records > 0) {
            accepted.labelValues(endpoint(path)).inc(records);
        }
    }

    void rejected(String path, Map<String, Integer> byReason) {
        byReason.forEach((reason, count) -> rejected.labelValues(endpoint(path), reason).inc(count));
    }

    void spans(int mapped, int ignored, int rejectedSpans, Map<String, Integer> unpricedByModel) {
        spans.labelValues("mapped").inc(mapped);
        spans.labelValues("ignored").inc(ignored);
        spans.labelValues("rejected").inc(rejectedSpans);
        unpricedByModel.forEach((model, count) -> {
            boolean known = unpricedModels.contains(model) || (unpricedModels.size() < MAX_UNPRICED_MODELS && unpricedModels.add(model));
            unpriced.labelValues(known ? model : "other").inc(count);
        });
    }

    /** Spans parked to wait for their agent span (contract §10). */
    void spansWaiting(int parked) {
        spans.labelValues("waiting").inc(parked);
    }

    /** What waits for an agent span, what is remembered of agent spans, and what was given up on. */
    void waiting(IntSupplier spans, LongSupplier bytes, IntSupplier remembered, LongSupplier givenUp, LongSupplier deadLettered) {
        GaugeWithCallback.builder().name("asr_ingest_otlp_waiting_spans")
                .help("Spans waiting for their agent span (invoke_agent) to come in a later request; at asr.otel.max-waiting-spans more are"
                        + " refused waiting-full").callback(cb -> cb.call(spans.getAsInt())).register(registry);
        GaugeWithCallback.builder().name("asr_ingest_otlp_waiting_bytes")
                .help("Protobuf bytes of the waiting spans (capped by asr.otel.max-waiting-bytes)")
                .callback(cb -> cb.call(bytes.getAsLong())).register(registry);
        GaugeWithCallback.builder().name("asr_ingest_otlp_remembered_spans")
                .help("Spans whose agent is remembered for children that come in later requests (capped by asr.otel.max-remembered)")
                .callback(cb -> cb.call(remembered.getAsInt())).register(registry);
        CounterWithCallback.builder().name("asr_ingest_otlp_given_up_spans")
                .help("Spans that waited asr.otel.wait for their agent span in vain: mapped by their own gen_ai.agent.* attributes, or"
                        + " dead-lettered (asr_ingest_otlp_dead_lettered_spans)").callback(cb -> cb.call(givenUp.getAsLong())).register(registry);
        CounterWithCallback.builder().name("asr_ingest_otlp_dead_lettered_spans")
                .help("Spans written to the dead-letter topic: given up on with no agent, or refused by an event rule after they waited")
                .callback(cb -> cb.call(deadLettered.getAsLong())).register(registry);
    }

    /** The exposition in the format the scraper's Accept header asks for. */
    Rendered render(String accept) {
        ExpositionFormatWriter writer = formats.findWriter(accept);
        ByteArrayOutputStream out = new ByteArrayOutputStream(8 << 10);
        try {
            writer.write(out, registry.scrape());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Rendered(writer.getContentType(), out.toByteArray());
    }

    record Rendered(String contentType, byte[] body) {}
}
