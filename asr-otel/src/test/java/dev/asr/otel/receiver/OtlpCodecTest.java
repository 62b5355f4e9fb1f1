package dev.asr.otel.receiver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnknownFieldSet;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** OTLP/HTTP bodies: protobuf, JSON (hex ids) and gzip, and what each bad body is answered. */
class OtlpCodecTest {

    private static final String TRACE = "5b8efff798038103d269b633813fc60c";
    private static final String SPAN = "eee19b7ec3c1b174";
    private static final String PARENT = "eee19b7ec3c1b173";

    private static ExportTraceServiceRequest request() {
        HexFormat hex = HexFormat.of();
        Span span = Span.newBuilder().setTraceId(ByteString.copyFrom(hex.parseHex(TRACE))).setSpanId(ByteString.copyFrom(hex.parseHex(SPAN)))
                .setParentSpanId(ByteString.copyFrom(hex.parseHex(PARENT))).setName("chat gpt-4o").setKind(Span.SpanKind.SPAN_KIND_CLIENT)
                .setStartTimeUnixNano(1_544_712_660_000_000_000L).setEndTimeUnixNano(1_544_712_661_000_000_000L)
                .addAttributes(KeyValue.newBuilder().setKey("gen_ai.usage.input_tokens").setValue(AnyValue.newBuilder().setIntValue(42)))
                .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR)).build();
        return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
                .addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build();
    }

    @Test
    void protobufAndOtlpJsonWithHexIdsDecodeToTheSameRequest() throws Exception {
        String json = """
                {"resourceSpans": [{"scopeSpans": [{"spans": [{
                  "traceId": "%s", "spanId": "%s", "parentSpanId": "%s", "name": "chat gpt-4o", "kind": 3,
                  "startTimeUnixNano": "1544712660000000000", "endTimeUnixNano": "1544712661000000000",
                  "attributes": [{"key": "gen_ai.usage.input_tokens", "value": {"intValue": "42"}}],
                  "status": {"code": 2}, "someFieldOfALaterVersion": true}]}]}]}
                """.formatted(TRACE, SPAN, PARENT);
        assertThat(OtlpCodec.decode(json.getBytes(StandardCharsets.UTF_8), true)).isEqualTo(request());
        assertThat(OtlpCodec.decode(request().toByteArray(), false)).isEqualTo(request());
    }

    @Test
    void gzipIsInflatedUpToTheLimit() throws Exception {
        byte[] plain = request().toByteArray();
        assertThat(OtlpCodec.inflate(gzip(plain), 1 << 20)).isEqualTo(plain);
        byte[] bomb = gzip(new byte[50 << 20]);
        assertThat(bomb.length).isLessThan(100_000);
        assertThatThrownBy(() -> OtlpCodec.inflate(bomb, 5 << 20)).isInstanceOfSatisfying(OtlpCodec.BadBody.class,
                e -> assertThat(e.tooLarge()).isTrue()).hasMessageContaining("inflates to more than 5242880 bytes");
        assertThatThrownBy(() -> OtlpCodec.inflate("not gzip".getBytes(StandardCharsets.UTF_8), 1 << 20))
                .isInstanceOf(OtlpCodec.BadBody.class).hasMessageContaining("does not inflate");
    }

    @Test
    void badBodiesAreRefusedSayingWhat() {
        byte[] whole = request().toByteArray();
        assertThatThrownBy(() -> OtlpCodec.decode(Arrays.copyOf(whole, whole.length - 7), false))
                .isInstanceOf(OtlpCodec.BadBody.class).hasMessageContaining("not an OTLP ExportTraceServiceRequest in protobuf");
        assertThatThrownBy(() -> OtlpCodec.decode("{\"resourceSpans\": [".getBytes(StandardCharsets.UTF_8), true))
                .isInstanceOf(OtlpCodec.BadBody.class).hasMessageContaining("in JSON");
        assertThatThrownBy(() -> OtlpCodec.decode("{\"resourceSpans\": [{\"scopeSpans\": [{\"spans\": [{\"traceId\": \"xyz\"}]}]}]}"
                .getBytes(StandardCharsets.UTF_8), true)).hasMessageContaining("traceId 'xyz' is not hex");
        assertThatThrownBy(() -> OtlpCodec.decode("[1, 2]".getBytes(StandardCharsets.UTF_8), true)).hasMessageContaining("expected an object");
        assertThatThrownBy(() -> OtlpCodec.decode("[".repeat(10_000).getBytes(StandardCharsets.UTF_8), true))
                .isInstanceOf(OtlpCodec.BadBody.class);
    }

    @Test
    void theAnswerCarriesPartialSuccessOnlyWhenSpansWereRefused() throws Exception {
        assertThat(OtlpCodec.response(0, "", false)).isEmpty();
        assertThat(new String(OtlpCodec.response(0, "", true), StandardCharsets.UTF_8)).isEqualTo("{}");
        ExportTraceServiceResponse partial = ExportTraceServiceResponse.parseFrom(OtlpCodec.response(2, "no-agent: 2 spans", false));
        assertThat(partial.getPartialSuccess().getRejectedSpans()).isEqualTo(2);
        assertThat(partial.getPartialSuccess().getErrorMessage()).isEqualTo("no-agent: 2 spans");
        assertThat(new String(OtlpCodec.response(2, "no-agent", true), StandardCharsets.UTF_8))
                .isEqualTo("{\"partialSuccess\":{\"rejectedSpans\":2,\"errorMessage\":\"no-agent\"}}");
    }

    @Test
    void errorsAreAGoogleRpcStatusInTheRequestsEncoding() throws Exception {
        UnknownFieldSet status = UnknownFieldSet.parseFrom(OtlpCodec.status(400, "not a request", false));
        assertThat(status.getField(1).getVarintList()).as("INVALID_ARGUMENT").containsExactly(3L);
        assertThat(status.getField(2).getLengthDelimitedList().get(0).toStringUtf8()).isEqualTo("not a request");
        assertThat(UnknownFieldSet.parseFrom(OtlpCodec.status(429, "busy", false)).getField(1).getVarintList()).containsExactly(8L);
        assertThat(UnknownFieldSet.parseFrom(OtlpCodec.status(503, "down", false)).getField(1).getVarintList()).containsExactly(14L);
        assertThat(new String(OtlpCodec.status(401, "who", true), StandardCharsets.UTF_8)).isEqualTo("{\"code\":16,\"message\":\"who\"}");
    }

    private static byte[] gzip(byte[] plain) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream zip = new GZIPOutputStream(out)) {
            zip.write(plain);
        }
        return out.toByteArray();
    }
}
