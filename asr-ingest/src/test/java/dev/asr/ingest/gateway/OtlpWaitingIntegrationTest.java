package dev.asr.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.asr.embedded.testing.TestKafka;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.SpendEvent;
import dev.asr.ingest.testing.TopicContents;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.EmbeddedSchemaRegistry;
import dev.asr.schemas.testing.TestTopics;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Identity across requests (contract §10) on the real gateway and broker: spans exported one
 * request each by the real OpenTelemetry SDK (children end, and are sent, before their agent span)
 * get their agent's task; a span waiting when the gateway stops is settled by the next one; a
 * span whose agent span never comes is mapped by its own attributes or dead-lettered after
 * {@code asr.otel.wait}.
 */
class OtlpWaitingIntegrationTest {

    private static final String TOKEN = "tok-wait-" + UUID.randomUUID();
    private static final Instant T0 = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofMinutes(3));
    private static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");

    @TempDir
    static Path directory;

    private static String bootstrap;
    private static TopicNames names;
    private static Topics topics;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void topics() throws Exception {
        bootstrap = TestKafka.bootstrapServers();
        names = TestTopics.fresh();
        topics = TestTopics.create(bootstrap, names, new EmbeddedSchemaRegistry(directory.resolve("schemas")), 1);
    }

    private static IngestGateway gateway(String waitingTopic, String wait) {
        Map<String, String> settings = new HashMap<>(Map.of("bootstrap.servers", bootstrap, "schema.registry.url", "embedded:"
                + directory.resolve("schemas"), "asr.ingest.port", "0", "asr.ingest.host", "127.0.0.1", "asr.topic.spend", names.spend(),
                "asr.topic.outcomes", names.outcomes(), "asr.topic.dlq", names.deadLetters(), "asr.otel.waiting-topic", waitingTopic,
                "asr.otel.wait", wait));
        return IngestGateway.start(GatewaySettings.from(settings), Tokens.of(List.of(new Tokens.Grant(Tokens.hash(TOKEN), Set.of("trading")))));
    }

    @Test
    void spansSentOneRequestEachBeforeTheirAgentSpanGetItsTaskAndNoneIsLeftWaiting() throws Exception {
        String waitingTopic = "asr.otel-waiting.test-" + UUID.randomUUID();
        try (IngestGateway gateway = gateway(waitingTopic, "1h")) {
            OtlpHttpSpanExporter exporter = OtlpHttpSpanExporter.builder().setEndpoint(gateway.url() + "/v1/traces")
                    .addHeader("Authorization", "Bearer " + TOKEN).build();
            // One export request per span, as each ends: the agent span, ending last, comes last.
            SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
            Tracer tracer = provider.get("asr-test");
            Span run = tracer.spanBuilder("invoke_agent").setStartTimestamp(T0).setAllAttributes(Attributes.of(OPERATION, "invoke_agent",
                    AttributeKey.stringKey("gen_ai.agent.id"), "one-by-one")).startSpan();
            Span step = tracer.spanBuilder("framework step").setParent(Context.root().with(run)).setStartTimestamp(T0.plusMillis(10)).startSpan();
            // Each export finished before the next span ends: the requests arrive in the order the spans end.
            Runnable sent = () -> assertThat(provider.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()).isTrue();
            tracer.spanBuilder("chat gpt-4o").setParent(Context.root().with(step)).setStartTimestamp(T0.plusMillis(100))
                    .setAllAttributes(Attributes.builder().put(OPERATION, "chat").put("gen_ai.provider.name", "openai")
                            .put("gen_ai.response.model", "gpt-4o").put("gen_ai.usage.input_tokens", 1_000L)
                            .put("gen_ai.usage.output_tokens", 100L).build()).startSpan().end(T0.plusMillis(900));
            sent.run();
            tracer.spanBuilder("execute_tool").setParent(Context.root().with(run)).setStartTimestamp(T0.plusMillis(1_000))
                    .setAllAttributes(Attributes.of(OPERATION, "execute_tool", AttributeKey.stringKey("gen_ai.tool.name"), "search"))
                    .startSpan().end(T0.plusMillis(1_200));
            sent.run();
            step.end(T0.plusMillis(1_300));
            sent.run();
            run.end(T0.plusMillis(2_000));
            sent.run();
            String task = "otel-" + run.getSpanContext().getTraceId() + "-" + run.getSpanContext().getSpanId();

            List<SpendEvent> spend = TopicContents.read(bootstrap, topics.spend()).stream().map(ConsumerRecord::value)
                    .filter(e -> e.getAgentId().equals("one-by-one")).toList();
            assertThat(spend).hasSize(2).allSatisfy(e -> assertThat(e.getTaskId()).isEqualTo(task));
            // gpt-4o at the starter table's 2.50 / 10 per million: 1,000 × 2.50 + 100 × 10
            assertThat(spend).extracting(SpendEvent::getCostMicros).contains(3_500L);
            assertThat(TopicContents.read(bootstrap, topics.outcomes()).stream().map(ConsumerRecord::value)
                    .filter(o -> o.getTaskId().equals(task)).map(OutcomeEvent::getAgentId).toList()).containsExactly("one-by-one");
            provider.shutdown().join(10, TimeUnit.SECONDS);

            eventually(() -> latestByKey(waitingTopic).values().stream().allMatch(v -> v == null), "every waiting span released");
            assertThat(latestByKey(waitingTopic)).as("the chat and the tool call waited").hasSize(2);
            String scrape = scrape(gateway);
            assertThat(scrape).contains("asr_ingest_otlp_spans_total{result=\"waiting\"} 2.0", "asr_ingest_otlp_waiting_spans 0.0");
        }
    }

    @Test
    void aSpanWaitingWhenTheGatewayStopsIsSettledByTheNextOneWhenItsAgentSpanComes() throws Exception {
        String waitingTopic = "asr.otel-waiting.test-" + UUID.randomUUID();
        ByteString trace = ByteString.copyFrom(UUID.randomUUID().toString().substring(0, 16), StandardCharsets.UTF_8);
        io.opentelemetry.proto.trace.v1.Span chat = span(trace, 2, 1, kv("gen_ai.operation.name", "chat"), kv("gen_ai.request.model", "gpt-4o"),
                kv("gen_ai.usage.input_tokens", 2_000));
        try (IngestGateway first = gateway(waitingTopic, "1h")) {
            HttpResponse<byte[]> answer = post(first, request(chat));
            assertThat(answer.statusCode()).isEqualTo(200);
            assertThat(ExportTraceServiceResponse.parseFrom(answer.body()).getPartialSuccess().getRejectedSpans()).isZero();
        }
        try (IngestGateway second = gateway(waitingTopic, "1h")) {
            eventually(() -> scrape(second).contains("asr_ingest_otlp_waiting_spans 1.0"), "the restarted gateway read the waiting span back");
            assertThat(post(second, request(span(trace, 1, 0, kv("gen_ai.operation.name", "invoke_agent"),
                    kv("gen_ai.agent.id", "restarted"))))).extracting(HttpResponse::statusCode).isEqualTo(200);

            List<SpendEvent> spend = TopicContents.read(bootstrap, topics.spend()).stream().map(ConsumerRecord::value)
                    .filter(e -> e.getAgentId().equals("restarted")).toList();
            assertThat(spend).singleElement().satisfies(e -> {
                assertThat(e.getTaskId()).isEqualTo("otel-" + hex(trace) + "-0000000000000001");
                assertThat(e.getCostMicros()).as("2,000 × 2.50").isEqualTo(5_000);
            });
        }
    }

    @Test
    void aSpanWhoseAgentSpanNeverComesIsMappedByItsOwnAttributesOrDeadLetteredAfterTheWait() throws Exception {
        String waitingTopic = "asr.otel-waiting.test-" + UUID.randomUUID();
        ByteString trace = ByteString.copyFrom(UUID.randomUUID().toString().substring(0, 16), StandardCharsets.UTF_8);
        try (IngestGateway gateway = gateway(waitingTopic, "2s")) {
            HttpResponse<byte[]> answer = post(gateway, request(
                    span(trace, 2, 1, kv("gen_ai.operation.name", "chat"), kv("gen_ai.request.model", "gpt-4o"), kv("gen_ai.usage.input_tokens", 1)),
                    span(trace, 3, 1, kv("gen_ai.operation.name", "chat"), kv("gen_ai.agent.name", "named-itself"),
                            kv("gen_ai.request.model", "gpt-4o"), kv("gen_ai.usage.input_tokens", 400))));
            assertThat(answer.statusCode()).isEqualTo(200);

            eventually(() -> scrape(gateway).contains("asr_ingest_otlp_given_up_spans_total 2.0"), "both given up on after 2 s");
            assertThat(TopicContents.read(bootstrap, topics.spend()).stream().map(ConsumerRecord::value)
                    .filter(e -> e.getAgentId().equals("named-itself")).toList()).singleElement().satisfies(e -> {
                        assertThat(e.getTaskId()).as("no agent span came: spend that serves no task").isNull();
                        assertThat(e.getCostMicros()).isEqualTo(1_000);
                    });
            List<ConsumerRecord<byte[], byte[]>> dead = TestTopics.records(bootstrap, names.deadLetters()).stream()
                    .filter(r -> new String(r.key(), StandardCharsets.UTF_8).startsWith(hex(trace))).toList();
            assertThat(dead).singleElement().satisfies(r -> {
                assertThat(new String(r.headers().lastHeader("asr.dlq.reason").value(), StandardCharsets.UTF_8)).isEqualTo("no-agent");
                assertThat(new String(r.headers().lastHeader("asr.dlq.error").value(), StandardCharsets.UTF_8)).contains("asr.otel.wait");
                ExportTraceServiceRequest again = ExportTraceServiceRequest.parseFrom(r.value());
                assertThat(again.getResourceSpans(0).getScopeSpans(0).getSpans(0).getSpanId()).isEqualTo(id(2));
                assertThat(again.getResourceSpans(0).getResource().getAttributes(0).getValue().getStringValue()).isEqualTo("trading");
            });
            eventually(() -> latestByKey(waitingTopic).values().stream().allMatch(v -> v == null), "both released");
        }
    }

    private static String hex(ByteString bytes) {
        return java.util.HexFormat.of().formatHex(bytes.toByteArray());
    }

    private static ByteString id(int n) {
        return ByteString.copyFrom(new byte[] {0, 0, 0, 0, 0, 0, 0, (byte) n});
    }

    private static io.opentelemetry.proto.trace.v1.Span span(ByteString trace, int id, int parent, KeyValue... attributes) {
        io.opentelemetry.proto.trace.v1.Span.Builder span = io.opentelemetry.proto.trace.v1.Span.newBuilder().setTraceId(trace)
                .setSpanId(id(id)).setName("span " + id).setEndTimeUnixNano(T0.toEpochMilli() * 1_000_000);
        if (parent > 0) {
            span.setParentSpanId(id(parent));
        }
        return span.addAllAttributes(List.of(attributes)).build();
    }

    private static ExportTraceServiceRequest request(io.opentelemetry.proto.trace.v1.Span... spans) {
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans)))).build();
    }

    private static KeyValue kv(String key, Object value) {
        AnyValue.Builder v = AnyValue.newBuilder();
        if (value instanceof Integer i) {
            v.setIntValue(i);
        } else {
            v.setStringValue((String) value);
        }
        return KeyValue.newBuilder().setKey(key).setValue(v).build();
    }

    private HttpResponse<byte[]> post(IngestGateway gateway, ExportTraceServiceRequest body) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            HttpResponse<byte[]> answer = http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/traces"))
                    .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/x-protobuf")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build(), HttpResponse.BodyHandlers.ofByteArray());
            if (answer.statusCode() != 503 || System.nanoTime() > deadline) {
                return answer;
            }
            assertThat(answer.headers().firstValue("Retry-After")).as("503 while reading the waiting spans back").isPresent();
            Thread.sleep(200);
        }
    }

    private String scrape(IngestGateway gateway) {
        try {
            return new String(http.send(HttpRequest.newBuilder(URI.create(gateway.url() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()).body(), StandardCharsets.UTF_8);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static void eventually(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 60 s: " + what);
            }
            Thread.sleep(200);
        }
    }

    /** The latest value per key of a topic (null: a tombstone). */
    private static Map<String, byte[]> latestByKey(String topic) {
        Map<String, byte[]> latest = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : TestTopics.records(bootstrap, topic)) {
            latest.put(new String(record.key(), StandardCharsets.UTF_8), record.value());
        }
        return latest;
    }
}
