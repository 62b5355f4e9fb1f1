package dev.asr.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.ingest.testing.TopicContents;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.ReadWriteSpan;
import io.opentelemetry.sdk.trace.ReadableSpan;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code POST /v1/traces} against the real gateway and broker, spoken to by the real
 * OpenTelemetry Java SDK (HTTP/protobuf exporter): an instrumented agent run becomes priced
 * spend and a settled task on the topics, with the numbers worked out by hand from the spans and
 * the starter price table; a resent batch maps to the same event ids; the SDK's own JSON encoding
 * of the same spans gives the same events; hostile bodies are answered as OTLP says, never 5xx.
 */
class OtlpEndpointIntegrationTest {

    private static final String TOKEN = "tok-otel-" + UUID.randomUUID();
    private static final Instant T0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(3));
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");

    @TempDir
    static Path directory;

    private static String bootstrap;
    private static Topics topics;
    private static IngestGateway gateway;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        bootstrap = TestKafka.bootstrapServers();
        TopicNames names = TestTopics.fresh();
        topics = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(directory.resolve("schemas")), 1);
        gateway = IngestGateway.start(GatewaySettings.from(Map.of("bootstrap.servers", bootstrap, "schema.registry.url", "embedded:"
                        + directory.resolve("schemas"), "asr.ingest.port", "0", "asr.ingest.host", "127.0.0.1", "asr.topic.spend", names.spend(),
                "asr.topic.outcomes", names.outcomes(), "asr.ingest.max-body", "1MB")),
                Tokens.of(List.of(new Tokens.Grant(Tokens.hash(TOKEN), Set.of("trading")))));
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    /** An agent run as an instrumented runtime records it: invoke_agent, two model calls, a tool call; every time explicit. */
    private static void agentRun(Tracer tracer, String agent, Instant start, boolean fails) {
        Span run = tracer.spanBuilder("invoke_agent " + agent).setStartTimestamp(start).setAllAttributes(Attributes.of(OPERATION, "invoke_agent",
                AttributeKey.stringKey("gen_ai.agent.id"), agent)).startSpan();
        Context inRun = Context.root().with(run);
        tracer.spanBuilder("chat gpt-4o").setParent(inRun).setStartTimestamp(start.plusMillis(100)).setAllAttributes(Attributes.builder()
                .put(OPERATION, "chat").put("gen_ai.provider.name", "openai").put("gen_ai.request.model", "gpt-4o")
                .put("gen_ai.response.model", "gpt-4o-2024-08-06").put("gen_ai.usage.input_tokens", 1_000L)
                .put("gen_ai.usage.output_tokens", 200L).put("gen_ai.usage.cache_read.input_tokens", 400L).build())
                .startSpan().end(start.plusMillis(900));
        tracer.spanBuilder("execute_tool web_search").setParent(inRun).setStartTimestamp(start.plusMillis(1_000))
                .setAllAttributes(Attributes.of(OPERATION, "execute_tool", AttributeKey.stringKey("gen_ai.tool.name"), "web_search"))
                .startSpan().end(start.plusMillis(1_500));
        tracer.spanBuilder("chat gpt-4o-mini").setParent(inRun).setStartTimestamp(start.plusMillis(1_600)).setAllAttributes(Attributes.builder()
                .put(OPERATION, "chat").put("gen_ai.provider.name", "openai").put("gen_ai.response.model", "gpt-4o-mini")
                .put("gen_ai.usage.input_tokens", 2_000L).put("gen_ai.usage.output_tokens", 100L).build())
                .startSpan().end(start.plusMillis(2_000));
        tracer.spanBuilder("GET /health").setParent(inRun).setStartTimestamp(start.plusMillis(2_000)).startSpan().end(start.plusMillis(2_001));
        if (fails) {
            run.setStatus(StatusCode.ERROR, "gave up");
        }
        run.end(start.plusMillis(2_500));
    }

    @Test
    void anAgentRunFromTheSdkBecomesPricedSpendAndASettledTaskAndAResendCountsNothingNew() throws Exception {
        List<SpanData> ended = new CopyOnWriteArrayList<>();
        OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(gateway.url() + "/v1/traces")
                .addHeader("Authorization", "Bearer " + TOKEN).setCompression("gzip").build();
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "agents"))))
                .addSpanProcessor(collecting(ended))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setScheduleDelay(Duration.ofMinutes(1)).build()).build();
        Tracer tracer = provider.get("asr-test");
        agentRun(tracer, "otel-bot", T0, false);
        agentRun(tracer, "otel-bot", T0.plusSeconds(60), true);
        assertThat(provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()).as("the gateway answered the export 200").isTrue();

        List<SpendEvent> spend = mine(TopicContents.read(bootstrap, topics.spend()), SpendEvent::getAgentId, "otel-bot");
        List<OutcomeEvent> outcomes = mine(TopicContents.read(bootstrap, topics.outcomes()), OutcomeEvent::getAgentId, "otel-bot");
        assertThat(spend).hasSize(6);
        assertThat(outcomes).hasSize(2);
        SpanData firstRun = ended.stream().filter(s -> s.getName().equals("invoke_agent otel-bot")).findFirst().orElseThrow();
        String task = "otel-" + firstRun.getTraceId() + "-" + firstRun.getSpanId();
        List<SpendEvent> first = spend.stream().filter(e -> e.getTaskId().equals(task)).toList();
        assertThat(first).extracting(SpendEvent::getKind).containsExactly(SpendKind.INFERENCE, SpendKind.TOOL_CALL, SpendKind.INFERENCE);
        // gpt-4o (starter table 2.50 / cache read 1.25 / 10): 600 plain × 2.50 + 400 × 1.25 + 200 × 10
        assertThat(first.get(0).getCostMicros()).isEqualTo(1_500 + 500 + 2_000);
        assertThat(first.get(0).getModel()).isEqualTo("gpt-4o-2024-08-06");
        assertThat(first.get(0).getAttributes()).containsEntry("cost_source", "priced");
        assertThat(first.get(1).getCostMicros()).as("no tool price in the starter table").isZero();
        assertThat(first.get(1).getAttributes()).containsEntry("cost_source", "unpriced");
        // gpt-4o-mini (0.15 / 0.60): 2,000 × 0.15 + 100 × 0.60
        assertThat(first.get(2).getCostMicros()).isEqualTo(300 + 60);
        assertThat(first.get(2).getOccurredAt()).isEqualTo(T0.plusMillis(2_000));
        assertThat(outcomes).extracting(OutcomeEvent::getStatus).containsExactlyInAnyOrder(OutcomeStatus.SUCCEEDED, OutcomeStatus.FAILED);
        assertThat(outcomes).allSatisfy(o -> assertThat(o.getAttributes()).containsEntry("outcome_source", "assumed"));
        assertThat(outcomes.stream().filter(o -> o.getTaskId().equals(task)).findFirst().orElseThrow().getOccurredAt())
                .isEqualTo(T0.plusMillis(2_500));

        // The same spans again (an exporter retrying): the same event ids, nothing new.
        assertThat(exporter.export(ended).join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
        List<SpendEvent> after = mine(TopicContents.read(bootstrap, topics.spend()), SpendEvent::getAgentId, "otel-bot");
        assertThat(after.stream().map(SpendEvent::getEventId).collect(Collectors.toSet()))
                .isEqualTo(spend.stream().map(SpendEvent::getEventId).collect(Collectors.toSet()));

        // The SDK's own OTLP/JSON encoding of the same spans: the same events, field for field.
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        TraceRequestMarshaler.create(ended).writeJsonTo(json);
        HttpResponse<byte[]> answer = post("application/json", null, json.toByteArray());
        assertThat(answer.statusCode()).isEqualTo(200);
        Map<String, SpendEvent> byId = TopicContents.read(bootstrap, topics.spend()).stream().map(ConsumerRecord::value)
                .filter(e -> e.getAgentId().equals("otel-bot")).collect(Collectors.toMap(SpendEvent::getEventId, e -> e, (a, b) -> {
                    assertThat(b).as("a resend equals the first").isEqualTo(a);
                    return a;
                }));
        assertThat(byId).hasSize(6);
        provider.shutdown().join(10, TimeUnit.SECONDS);

        String scrape = new String(http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofByteArray()).body(), StandardCharsets.UTF_8);
        assertThat(scrape).contains("asr_ingest_otlp_spans_total{result=\"mapped\"}", "asr_ingest_otlp_spans_total{result=\"ignored\"}",
                "asr_ingest_records_accepted_total{endpoint=\"/v1/traces\"}", "asr_ingest_requests_total{code=\"200\",endpoint=\"/v1/traces\"}");
    }

    @Test
    void spansTheGatewayCannotUseAreNamedInPartialSuccess() throws Exception {
        KeyValue chat = KeyValue.newBuilder().setKey("gen_ai.operation.name").setValue(AnyValue.newBuilder().setStringValue("chat")).build();
        ExportTraceServiceRequest orphans = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(io.opentelemetry.proto.trace.v1.Span.newBuilder()
                        .setTraceId(com.google.protobuf.ByteString.copyFrom(new byte[16])).setSpanId(com.google.protobuf.ByteString.copyFrom(new byte[8]))
                        .setEndTimeUnixNano(T0.toEpochMilli() * 1_000_000).addAttributes(chat)))).build();
        HttpResponse<byte[]> answer = post("application/x-protobuf", null, orphans.toByteArray());
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
        ExportTraceServiceResponse response = ExportTraceServiceResponse.parseFrom(answer.body());
        assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(1);
        assertThat(response.getPartialSuccess().getErrorMessage()).contains("no-agent", "gen_ai.agent.id");
    }

    @Test
    void hostileBodiesAreAnsweredAsOtlpSaysAndNeverWith5xx() throws Exception {
        byte[] whole = fullRequest(3).toByteArray();
        HttpResponse<byte[]> truncated = post("application/x-protobuf", null, Arrays.copyOf(whole, whole.length - 5));
        assertThat(truncated.statusCode()).as("truncated protobuf").isEqualTo(400);
        assertThat(truncated.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
        com.google.protobuf.UnknownFieldSet status = com.google.protobuf.UnknownFieldSet.parseFrom(truncated.body());
        assertThat(status.getField(1).getVarintList()).as("a google.rpc.Status, INVALID_ARGUMENT").containsExactly(3L);
        assertThat(status.getField(2).getLengthDelimitedList().get(0).toStringUtf8()).contains("not an OTLP ExportTraceServiceRequest");
        assertThat(post("text/plain", null, whole).statusCode()).as("wrong content type").isEqualTo(415);
        assertThat(post("application/x-protobuf", "gzip", "not gzip at all".getBytes(StandardCharsets.UTF_8)).statusCode())
                .as("gzip that does not inflate").isEqualTo(400);
        assertThat(post("application/x-protobuf", "br", whole).statusCode()).as("an encoding it does not take").isEqualTo(415);
        HttpResponse<byte[]> notHex = post("application/json", null, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"zz\"}]}]}]}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(notHex.statusCode()).as("ids not hex").isEqualTo(400);
        assertThat(new String(notHex.body(), StandardCharsets.UTF_8)).startsWith("{\"code\":3,\"message\":\"traceId 'zz' is not hex");

        io.opentelemetry.proto.trace.v1.Span.Builder wide = fullRequest(1).getResourceSpans(0).getScopeSpans(0).getSpans(0).toBuilder();
        for (int i = 0; i < 10_000; i++) {
            wide.addAttributes(KeyValue.newBuilder().setKey("extra." + i).setValue(AnyValue.newBuilder().setStringValue("v" + i)));
        }
        ExportTraceServiceRequest tenThousand = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(wide))).build();
        assertThat(post("application/x-protobuf", null, tenThousand.toByteArray()).statusCode()).as("a span with 10,000 attributes")
                .isEqualTo(200);

        ExportTraceServiceRequest big = fullRequest(40_000);
        assertThat(big.getSerializedSize()).isGreaterThan(5 << 20);
        assertThat(post("application/x-protobuf", null, big.toByteArray()).statusCode()).as("5 MB of spans, over asr.ingest.max-body")
                .isEqualTo(413);
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
            gzip.write(big.toByteArray());
        }
        assertThat(zipped.size()).isLessThan(1 << 20);
        assertThat(post("application/x-protobuf", "gzip", zipped.toByteArray()).statusCode()).as("the same, gzipped under the limit")
                .isEqualTo(413);
        HttpResponse<byte[]> noToken = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/traces"))
                .header("Content-Type", "application/x-protobuf").POST(HttpRequest.BodyPublishers.ofByteArray(whole)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(noToken.statusCode()).isEqualTo(401);
    }

    /** {@code spans} chat spans of one agent each, as a runtime might batch them. */
    private static ExportTraceServiceRequest fullRequest(int spans) {
        ScopeSpans.Builder scope = ScopeSpans.newBuilder();
        for (int i = 0; i < spans; i++) {
            scope.addSpans(io.opentelemetry.proto.trace.v1.Span.newBuilder()
                    .setTraceId(com.google.protobuf.ByteString.copyFrom("one-trace-16byte", StandardCharsets.UTF_8))
                    .setSpanId(com.google.protobuf.ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, (byte) i}))
                    .setName("chat gpt-4o").setEndTimeUnixNano(T0.toEpochMilli() * 1_000_000)
                    .addAttributes(kv("gen_ai.operation.name", "chat")).addAttributes(kv("gen_ai.agent.id", "hostile-" + i))
                    .addAttributes(kv("gen_ai.response.model", "gpt-4o")).addAttributes(kv("padding", "x".repeat(100))));
        }
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(scope)).build();
    }

    private static KeyValue kv(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    private HttpResponse<byte[]> post(String type, String encoding, byte[] body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/traces")).header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", type).POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (encoding != null) {
            request.header("Content-Encoding", encoding);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static <V> List<V> mine(List<ConsumerRecord<String, V>> records, java.util.function.Function<V, String> agent, String id) {
        return records.stream().map(ConsumerRecord::value).filter(v -> agent.apply(v).equals(id))
                .collect(Collectors.toMap(v -> v.toString(), v -> v, (a, b) -> a, java.util.LinkedHashMap::new)).values().stream().toList();
    }

    private static SpanProcessor collecting(List<SpanData> ended) {
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
