package dev.asr.otel.receiver;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * OTLP/HTTP trace bodies to the published protobuf classes and back (the OTLP specification's
 * binary and JSON encodings): protobuf through the generated parser, JSON through protobuf's own
 * JSON mapping once OTLP's one difference is undone (trace and span ids are hex strings in OTLP
 * JSON, base64 in protobuf's). A gzip body is inflated up to a limit, so a small compressed body
 * cannot become gigabytes.
 */
public final class OtlpCodec {

    /** What a body could not be: the answer is 400 (or 413 when it inflates past the limit) with this message. */
    public static final class BadBody extends Exception {
        private final boolean tooLarge;

        BadBody(String message, boolean tooLarge) {
            super(message);
            this.tooLarge = tooLarge;
        }

        public boolean tooLarge() {
            return tooLarge;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ID_FIELDS = Set.of("traceId", "spanId", "parentSpanId", "trace_id", "span_id", "parent_span_id");
    private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();

    private OtlpCodec() {}

    /** The body as sent ({@code gzip}: Content-Encoding gzip), inflated to at most {@code limit} bytes. */
    public static byte[] inflate(byte[] body, int limit) throws BadBody {
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(limit, body.length * 4 + 64));
            byte[] chunk = new byte[8192];
            for (int n = in.read(chunk); n >= 0; n = in.read(chunk)) {
                if (out.size() + n > limit) {
                    throw new BadBody("the body inflates to more than " + limit + " bytes (asr.ingest.max-body): send smaller batches", true);
                }
                out.write(chunk, 0, n);
            }
            return out.toByteArray();
        } catch (ZipException | java.io.EOFException e) {
            throw new BadBody("Content-Encoding is gzip but the body does not inflate (" + e.getMessage() + ")", false);
        } catch (IOException e) {
            throw new BadBody("the gzip body could not be read: " + e.getMessage(), false);
        }
    }

    public static ExportTraceServiceRequest decode(byte[] body, boolean json) throws BadBody {
        if (!json) {
            try {
                return ExportTraceServiceRequest.parseFrom(body);
            } catch (InvalidProtocolBufferException e) {
                throw new BadBody("the body is not an OTLP ExportTraceServiceRequest in protobuf (" + e.getMessage() + ")", false);
            }
        }
        try {
            JsonNode tree = JSON.readTree(body);
            if (tree == null || !tree.isObject()) {
                throw new BadBody("the body is not an OTLP ExportTraceServiceRequest in JSON: expected an object with resourceSpans", false);
            }
            hexIdsToBase64(tree, 0);
            ExportTraceServiceRequest.Builder request = ExportTraceServiceRequest.newBuilder();
            PARSER.merge(JSON.writeValueAsString(tree), request);
            return request.build();
        } catch (IOException | IllegalArgumentException e) {
            throw new BadBody("the body is not an OTLP ExportTraceServiceRequest in JSON (" + e.getMessage() + ")", false);
        }
    }

    /** The answer: empty when everything was taken, else {@code partial_success} with the spans refused and why. */
    public static byte[] response(long rejectedSpans, String message, boolean json) {
        ExportTraceServiceResponse.Builder response = ExportTraceServiceResponse.newBuilder();
        if (rejectedSpans > 0) {
            response.setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(rejectedSpans).setErrorMessage(message));
        }
        if (!json) {
            return response.build().toByteArray();
        }
        ObjectNode body = JSON.createObjectNode();
        if (rejectedSpans > 0) {
            body.putObject("partialSuccess").put("rejectedSpans", rejectedSpans).put("errorMessage", message);
        }
        return body.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * An error answer's body as OTLP/HTTP wants it: a {@code google.rpc.Status} (code, message) in
     * the request's encoding. Its two fields are written with protobuf's own encoder.
     */
    public static byte[] status(int httpStatus, String message, boolean json) {
        int code = switch (httpStatus) {
            case 401 -> 16; // UNAUTHENTICATED
            case 403 -> 7; // PERMISSION_DENIED
            case 429 -> 8; // RESOURCE_EXHAUSTED
            case 503 -> 14; // UNAVAILABLE
            default -> httpStatus >= 500 ? 13 : 3; // INTERNAL, INVALID_ARGUMENT
        };
        if (json) {
            return JSON.createObjectNode().put("code", code).put("message", message).toString().getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(message.length() + 16);
        try {
            CodedOutputStream coded = CodedOutputStream.newInstance(out);
            coded.writeInt32(1, code);
            coded.writeString(2, message);
            coded.flush();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    /** OTLP JSON carries ids in hex; protobuf's JSON mapping reads bytes as base64. Bounded depth: a hostile nesting stops. */
    private static void hexIdsToBase64(JsonNode node, int depth) throws BadBody {
        if (depth > 64) {
            throw new BadBody("the JSON nests deeper than any OTLP request", false);
        }
        if (node.isObject()) {
            ObjectNode object = (ObjectNode) node;
            for (Iterator<Map.Entry<String, JsonNode>> fields = object.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                if (ID_FIELDS.contains(field.getKey()) && field.getValue().isTextual()) {
                    String hex = field.getValue().asText();
                    try {
                        field.setValue(object.textNode(Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex))));
                    } catch (IllegalArgumentException e) {
                        throw new BadBody(field.getKey() + " '" + abbreviate(hex) + "' is not hex (OTLP JSON ids are hex strings)", false);
                    }
                } else {
                    hexIdsToBase64(field.getValue(), depth + 1);
                }
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                hexIdsToBase64(element, depth + 1);
            }
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 40) + "...";
    }
}
