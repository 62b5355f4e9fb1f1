package dev.asr.otel.mapping;

import com.google.protobuf.ByteString;
import dev.asr.otel.prices.ModelPrice;
import dev.asr.otel.prices.PriceTable;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Hand-built spans of one trace for the mapping's tests: span ids are small numbers, parent 0 is none. */
public final class TestSpans {

    private TestSpans() {}

    public static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
    public static final long END = NOW.minusSeconds(60).toEpochMilli() * 1_000_000;
    public static final byte[] TRACE = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    public static final PriceTable PRICES = PriceTable.of("test table", List.of(
            new ModelPrice("openai", "gpt-4o", List.of(), null, new BigDecimal("2.50"), new BigDecimal("10"), new BigDecimal("1.25"), null)),
            Map.of("web_search", new BigDecimal("0.01")));
    public static final SpanMapper.Sender TRADING = new SpanMapper.Sender(Set.of("trading")::contains, "trading");


    public static ByteString id(int n) {
        return ByteString.copyFrom(new byte[] {0, 0, 0, 0, 0, 0, 0, (byte) n});
    }

    public static KeyValue attr(String key, Object value) {
        AnyValue.Builder v = AnyValue.newBuilder();
        if (value instanceof String s) {
            v.setStringValue(s);
        } else if (value instanceof Integer i) {
            v.setIntValue(i);
        } else if (value instanceof Long l) {
            v.setIntValue(l);
        } else if (value instanceof Double d) {
            v.setDoubleValue(d);
        }
        return KeyValue.newBuilder().setKey(key).setValue(v).build();
    }

    public static Span span(int id, int parent, Status.StatusCode status, Object... attributes) {
        Span.Builder span = Span.newBuilder().setTraceId(ByteString.copyFrom(TRACE)).setSpanId(id(id)).setName("span-" + id)
                .setStartTimeUnixNano(END - 1_000_000_000L).setEndTimeUnixNano(END).setStatus(Status.newBuilder().setCode(status));
        if (parent > 0) {
            span.setParentSpanId(id(parent));
        }
        for (int i = 0; i < attributes.length; i += 2) {
            span.addAttributes(attr((String) attributes[i], attributes[i + 1]));
        }
        return span.build();
    }

    public static Span span(int id, int parent, Object... attributes) {
        return span(id, parent, Status.StatusCode.STATUS_CODE_UNSET, attributes);
    }

    public static ExportTraceServiceRequest request(Map<String, String> resource, Span... spans) {
        Resource.Builder r = Resource.newBuilder();
        resource.forEach((k, v) -> r.addAttributes(attr(k, v)));
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder().setResource(r)
                .addScopeSpans(ScopeSpans.newBuilder().addAllSpans(List.of(spans)))).build();
    }

    public static ExportTraceServiceRequest request(Span... spans) {
        return request(Map.of(), spans);
    }

    public static final String TASK = "otel-0102030405060708090a0b0c0d0e0f10-0000000000000001";

    /** An agent run: invoke_agent (1) with a chat (2), a tool call (3) and, under the tool, another chat (4). */
    public static Span[] run(Object... agentAttributes) {
        List<Object> agent = new ArrayList<>(List.of("gen_ai.operation.name", "invoke_agent", "gen_ai.agent.id", "bot-1"));
        agent.addAll(List.of(agentAttributes));
        return new Span[] {
            span(1, 0, agent.toArray()),
            span(2, 1, "gen_ai.operation.name", "chat", "gen_ai.provider.name", "openai", "gen_ai.response.model", "gpt-4o",
                    "gen_ai.usage.input_tokens", 1_000, "gen_ai.usage.output_tokens", 200, "gen_ai.usage.cache_read.input_tokens", 400),
            span(3, 1, "gen_ai.operation.name", "execute_tool", "gen_ai.tool.name", "web_search"),
            span(4, 3, "gen_ai.operation.name", "chat", "gen_ai.request.model", "gpt-4o", "gen_ai.usage.input_tokens", 100,
                    "gen_ai.usage.output_tokens", 10)};
    }

    /** The key of span {@code n} of the trace ({@link Ancestry#key}). */
    public static ByteString key(int n) {
        return Ancestry.key(ByteString.copyFrom(TRACE), id(n));
    }
}
