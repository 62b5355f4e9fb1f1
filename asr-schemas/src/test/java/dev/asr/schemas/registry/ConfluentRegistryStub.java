package dev.asr.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;

/**
 * A local HTTP server answering the part of the Confluent Schema Registry API the client uses, as
 * documented at https://docs.confluent.io/platform/current/schema-registry/develop/api.html:
 *
 * <ul>
 *   <li>{@code POST /subjects/{subject}/versions} → 200 {@code {"id": n}}; 409 error_code 409 when
 *       incompatible (BACKWARD against the latest version)
 *   <li>{@code POST /subjects/{subject}} → 200 {@code {"subject","id","version","schema"}}; 404
 *       error_code 40401 (subject not found) or 40403 (schema not found)
 *   <li>{@code GET /schemas/ids/{id}} → 200 {@code {"schema": "..."}}; 404 error_code 40403
 *   <li>{@code GET /subjects} → 200, a JSON array of the subject names
 * </ul>
 *
 * Served under a configurable prefix, so the same stub plays Apicurio's {@code /apis/ccompat/v7}.
 * A registry server cannot run here (io.confluent artifacts are not served), hence the stub.
 */
final class ConfluentRegistryStub implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern REGISTER = Pattern.compile("/subjects/([^/]+)/versions");
    private static final Pattern LOOKUP = Pattern.compile("/subjects/([^/]+)");
    private static final Pattern BY_ID = Pattern.compile("/schemas/ids/(\\d+)");

    private final HttpServer server;
    private final String prefix;
    private final String requiredAuthorization;
    private final Map<Integer, String> schemasById = new ConcurrentHashMap<>();
    private final Map<String, List<Integer>> versionsBySubject = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger(1);
    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<String> contentTypes = new CopyOnWriteArrayList<>();
    final AtomicInteger failuresToServe = new AtomicInteger();

    ConfluentRegistryStub(String prefix, String requiredAuthorization) throws IOException {
        this.prefix = prefix;
        this.requiredAuthorization = requiredAuthorization;
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + prefix;
    }

    @Override
    public void close() {
        server.stop(0);
    }

    private synchronized void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getRawPath();
        requests.add(exchange.getRequestMethod() + " " + path);
        if (exchange.getRequestHeaders().getFirst("Content-Type") != null) {
            contentTypes.add(exchange.getRequestHeaders().getFirst("Content-Type"));
        }
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        if (failuresToServe.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            reply(exchange, 500, error(50001, "Error in the backend data store"));
            return;
        }
        if (requiredAuthorization != null && !requiredAuthorization.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
            reply(exchange, 401, error(401, "Unauthorized"));
            return;
        }
        if (!path.startsWith(prefix)) {
            reply(exchange, 404, error(404, "HTTP 404 Not Found"));
            return;
        }
        path = path.substring(prefix.length());
        Matcher m;
        if (exchange.getRequestMethod().equals("POST") && (m = REGISTER.matcher(path)).matches()) {
            register(exchange, decode(m.group(1)), JSON.readTree(body));
        } else if (exchange.getRequestMethod().equals("POST") && (m = LOOKUP.matcher(path)).matches()) {
            lookup(exchange, decode(m.group(1)), JSON.readTree(body));
        } else if (exchange.getRequestMethod().equals("GET") && path.equals("/subjects")) {
            com.fasterxml.jackson.databind.node.ArrayNode subjects = JSON.createArrayNode();
            versionsBySubject.keySet().forEach(subjects::add);
            reply(exchange, 200, subjects.toString());
        } else if (exchange.getRequestMethod().equals("GET") && (m = BY_ID.matcher(path)).matches()) {
            String schema = schemasById.get(Integer.parseInt(m.group(1)));
            if (schema == null) {
                reply(exchange, 404, error(40403, "Schema " + m.group(1) + " not found"));
            } else {
                reply(exchange, 200, JSON.createObjectNode().put("schema", schema).toString());
            }
        } else {
            reply(exchange, 404, error(404, "HTTP 404 Not Found"));
        }
    }

    private void register(HttpExchange exchange, String subject, JsonNode request) throws IOException {
        String text = new Schema.Parser().parse(request.path("schema").asText()).toString();
        List<Integer> versions = versionsBySubject.computeIfAbsent(subject, s -> new ArrayList<>());
        for (int id : versions) {
            if (schemasById.get(id).equals(text)) {
                reply(exchange, 200, JSON.createObjectNode().put("id", id).toString());
                return;
            }
        }
        if (!versions.isEmpty()) {
            Schema latest = new Schema.Parser().parse(schemasById.get(versions.get(versions.size() - 1)));
            if (!dev.asr.schemas.evolution.Compatibility.BACKWARD.problems(new Schema.Parser().parse(text), latest).isEmpty()) {
                reply(exchange, 409, error(409, "Schema being registered is incompatible with an earlier schema for subject \""
                        + subject + "\""));
                return;
            }
        }
        int id = schemasById.entrySet().stream().filter(e -> e.getValue().equals(text)).map(Map.Entry::getKey)
                .findFirst().orElseGet(nextId::getAndIncrement);
        schemasById.put(id, text);
        versions.add(id);
        reply(exchange, 200, JSON.createObjectNode().put("id", id).toString());
    }

    private void lookup(HttpExchange exchange, String subject, JsonNode request) throws IOException {
        List<Integer> versions = versionsBySubject.get(subject);
        if (versions == null) {
            reply(exchange, 404, error(40401, "Subject '" + subject + "' not found."));
            return;
        }
        String text = new Schema.Parser().parse(request.path("schema").asText()).toString();
        for (int i = 0; i < versions.size(); i++) {
            if (schemasById.get(versions.get(i)).equals(text)) {
                reply(exchange, 200, JSON.createObjectNode().put("subject", subject).put("id", versions.get(i))
                        .put("version", i + 1).put("schema", text).toString());
                return;
            }
        }
        reply(exchange, 404, error(40403, "Schema not found"));
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static String error(int code, String message) {
        return JSON.createObjectNode().put("error_code", code).put("message", message).toString();
    }

    private static void reply(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/vnd.schemaregistry.v1+json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
