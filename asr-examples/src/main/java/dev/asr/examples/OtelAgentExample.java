package dev.asr.examples;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An agent instrumented with the OpenTelemetry Java SDK and the GenAI conventions, reporting to
 * the ASR gateway's OTLP receiver with no ASR code: one run ({@code invoke_agent}) with two model
 * calls and a tool call, exported over OTLP/HTTP (protobuf, gzip) with the gateway's bearer token.
 * The gateway prices the model calls from its price table and settles the run as a task.
 *
 * <pre>
 * java -cp asr-app/target/asr.jar dev.asr.examples.OtelAgentExample http://localhost:8080 &lt;token&gt; [fleet] [agent-id]
 * </pre>
 *
 * The fleet is the resource attribute {@code asr.fleet} (a token granted one fleet may leave it
 * out). The same without code: {@code OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://localhost:8080/v1/traces},
 * {@code OTEL_EXPORTER_OTLP_TRACES_HEADERS=Authorization=Bearer%20<token>} and {@code
 * OTEL_RESOURCE_ATTRIBUTES=asr.fleet=research} for any OTel SDK.
 */
public final class OtelAgentExample {

    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");

    private OtelAgentExample() {}

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: OtelAgentExample <gateway base URL, e.g. http://localhost:8080> <token> [fleet] [agent-id]");
            System.exit(2);
        }
        List<SpanData> sent = report(args[0], args[1], args.length > 2 ? args[2] : "research", args.length > 3 ? args[3] : "otel-example-agent",
                Instant.now().minusSeconds(3));
        System.out.println("Reported one agent run of " + sent.size() + " spans to " + args[0] + "/v1/traces");
    }

    /** Records one agent run starting at {@code start}, exports it, and returns the spans as exported. */
    public static List<SpanData> report(String gateway, String token, String fleet, String agentId, Instant start) {
        List<SpanData> ended = new CopyOnWriteArrayList<>();
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(gateway + "/v1/traces")
                .addHeader("Authorization", "Bearer " + token).setCompression("gzip").build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "example-agent",
                        AttributeKey.stringKey("asr.fleet"), fleet))))
                .addSpanProcessor(keeping(ended))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofSeconds(5)).build())
                .build();
        try {
            Tracer tracer = provider.get("dev.asr.examples");
            Span run = tracer.spanBuilder("invoke_agent " + agentId).setStartTimestamp(start).setAllAttributes(Attributes.builder()
                    .put(OPERATION, "invoke_agent").put("gen_ai.agent.id", agentId).put("gen_ai.agent.name", "Example agent").build()).startSpan();
            Context inRun = Context.root().with(run);
            tracer.spanBuilder("chat gpt-4o").setParent(inRun).setStartTimestamp(start.plusMillis(50)).setAllAttributes(Attributes.builder()
                    .put(OPERATION, "chat").put("gen_ai.provider.name", "openai").put("gen_ai.request.model", "gpt-4o")
                    .put("gen_ai.response.model", "gpt-4o-2024-08-06").put("gen_ai.usage.input_tokens", 1_200L)
                    .put("gen_ai.usage.cache_read.input_tokens", 200L).put("gen_ai.usage.output_tokens", 300L).build())
                    .startSpan().end(start.plusMillis(800));
            tracer.spanBuilder("execute_tool web_search").setParent(inRun).setStartTimestamp(start.plusMillis(850))
                    .setAllAttributes(Attributes.of(OPERATION, "execute_tool", AttributeKey.stringKey("gen_ai.tool.name"), "web_search"))
                    .startSpan().end(start.plusMillis(1_300));
            tracer.spanBuilder("chat gpt-4o-mini").setParent(inRun).setStartTimestamp(start.plusMillis(1_350)).setAllAttributes(Attributes
                    .builder().put(OPERATION, "chat").put("gen_ai.provider.name", "openai").put("gen_ai.response.model", "gpt-4o-mini")
                    .put("gen_ai.usage.input_tokens", 800L).put("gen_ai.usage.output_tokens", 150L).build())
                    .startSpan().end(start.plusMillis(1_900));
            // The outcome, confirmed rather than assumed from the span's status, and what the run was worth.
            run.setAttribute("asr.outcome", "SUCCEEDED");
            run.setAttribute("asr.value_micros", 20_000L);
            run.end(start.plusMillis(2_000));
            CompletableResultCode flushed = provider.forceFlush().join(30, TimeUnit.SECONDS);
            if (!flushed.isSuccess()) {
                throw new IllegalStateException("the gateway at " + gateway + " did not take the spans (see the exporter's log)");
            }
            return List.copyOf(ended);
        } finally {
            provider.shutdown().join(10, TimeUnit.SECONDS);
        }
    }

    private static SpanProcessor keeping(List<SpanData> ended) {
        return new SpanProcessor() {
            @Override
            public void onStart(Context parentContext, ReadWriteSpan span) {}

            @Override
            public boolean isStartRequired() {
                return false;
            }

            @Override
            public void onEnd(ReadableSpan span) {
                ended.add(span.toSpanData());
            }

            @Override
            public boolean isEndRequired() {
                return true;
            }

            @Override
            public CompletableResultCode shutdown() {
                return CompletableResultCode.ofSuccess();
            }
        };
    }
}
