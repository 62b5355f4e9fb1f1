package dev.asr.otel.waiting;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.asr.otel.mapping.Ancestry;
import dev.asr.otel.mapping.SpanMapper.Waiting;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * A parked span as it is kept in Kafka, so that a restart loses none: keyed {@code <trace
 * id>-<span id>} (hex; a compacted topic keeps the latest, a tombstone releases it), the value the
 * span's own protobuf bytes, the fleet and the span it waits for in headers. A span given up on is
 * dead-lettered as a one-span OTLP request ({@link #asRequest}) that can be posted again.
 */
public final class WaitingRecord {

    public static final String FLEET = "asr.otel.fleet";
    public static final String AWAITS = "asr.otel.awaits";

    private static final HexFormat HEX = HexFormat.of();

    private WaitingRecord() {}

    public static String key(ByteString spanKey) {
        byte[] bytes = spanKey.toByteArray();
        return HEX.formatHex(bytes, 0, 16) + "-" + HEX.formatHex(bytes, 16, bytes.length);
    }

    /** The span key of a record key ({@link #key}); an unreadable one matches no span. */
    public static ByteString spanKey(byte[] recordKey) {
        try {
            return ByteString.copyFrom(HEX.parseHex(new String(recordKey, StandardCharsets.UTF_8).replace("-", "")));
        } catch (RuntimeException e) {
            return ByteString.EMPTY;
        }
    }

    public static byte[] value(Waiting span) {
        return span.span().toByteArray();
    }

    public static byte[] fleet(Waiting span) {
        return span.fleet().getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] awaits(Waiting span) {
        return HEX.formatHex(span.awaits().toByteArray()).getBytes(StandardCharsets.UTF_8);
    }

    /** The parked span a record holds; an exception naming what is wrong when it holds none. */
    public static Waiting read(byte[] value, byte[] fleet, byte[] awaits) {
        if (value == null || fleet == null || awaits == null) {
            throw new IllegalArgumentException("a parked span needs its value and the " + FLEET + " and " + AWAITS + " headers");
        }
        Span span;
        try {
            span = Span.parseFrom(value);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalArgumentException("not an OTLP span: " + e.getMessage(), e);
        }
        ByteString awaited;
        try {
            awaited = ByteString.copyFrom(HEX.parseHex(new String(awaits, StandardCharsets.UTF_8)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(AWAITS + " is not hex: " + e.getMessage(), e);
        }
        return new Waiting(Ancestry.key(span.getTraceId(), span.getSpanId()), awaited, new String(fleet, StandardCharsets.UTF_8), span);
    }

    /** The span as a one-span OTLP request, its fleet as the resource's {@code asr.fleet}: what a dead letter holds. */
    public static ExportTraceServiceRequest asRequest(Waiting span) {
        KeyValue fleet = KeyValue.newBuilder().setKey("asr.fleet").setValue(AnyValue.newBuilder().setStringValue(span.fleet())).build();
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .setResource(Resource.newBuilder().addAttributes(fleet))
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(span.span()))).build();
    }
}
