package dev.asr.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;

/**
 * A client of the Confluent Schema Registry REST API: {@code POST /subjects/{subject}/versions}
 * to register, {@code POST /subjects/{subject}} to look up without registering, and {@code GET
 * /schemas/ids/{id}} to fetch. Apicurio Registry serves the same API under {@code
 * /apis/ccompat/v7}: pass that as the base URL.
 *
 * <p>Both directions are cached for the life of the client (ids are immutable in a registry); an
 * unknown id is remembered for {@link #UNKNOWN_ID_TTL} so a burst of bad records does not turn
 * into a burst of HTTP calls.
 */
public final class RestSchemaRegistry implements SchemaRegistry {

    static final Duration UNKNOWN_ID_TTL = Duration.ofSeconds(30);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final String ACCEPT =
            "application/vnd.schemaregistry.v1+json, application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";
    private static final int ATTEMPTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String baseUrl;
    private final Optional<String> authorization;
    private final boolean autoRegister;
    private final Duration timeout;
    private final HttpClient http;
    private final Map<String, Map<Schema, Integer>> idsBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<Integer, Long> unknownIdsUntil = new ConcurrentHashMap<>();

    /**
     * @param baseUrl e.g. {@code http://registry:8081} or {@code http://apicurio:8080/apis/ccompat/v7}
     * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, if the registry needs it
     * @param autoRegister register schemas on first use; when false they must already be registered
     */
    public RestSchemaRegistry(String baseUrl, Optional<String> basicAuthUserInfo, boolean autoRegister, Duration timeout) {
        URI uri;
        try {
            uri = URI.create(baseUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("schema registry URL '" + baseUrl + "' is not a URL: " + e.getMessage()
                    + ". Use e.g. http://registry:8081", e);
        }
        if (uri.getScheme() == null || !(uri.getScheme().equals("http") || uri.getScheme().equals("https")) || uri.getHost() == null) {
            throw new IllegalArgumentException("schema registry URL '" + baseUrl
                    + "' must be http:// or https:// with a host, e.g. http://registry:8081"
                    + " (or http://apicurio:8080/apis/ccompat/v7 for Apicurio)");
        }
        this.baseUrl = baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
        this.authorization = basicAuthUserInfo.map(info -> "Basic "
                + Base64.getEncoder().encodeToString(info.getBytes(StandardCharsets.UTF_8)));
        this.autoRegister = autoRegister;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public int register(String subject, Schema schema) {
        Map<Schema, Integer> ids = idsBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(schema);
        if (cached != null) {
            return cached;
        }
        String path = autoRegister ? "/subjects/" + pathSegment(subject) + "/versions" : "/subjects/" + pathSegment(subject);
        String body = JSON.createObjectNode().put("schema", schema.toString()).toString();
        Reply reply = send("POST", path, body);
        if (reply.status == 200) {
            int id = reply.json.path("id").asInt(-1);
            if (id < 0) {
                throw new SchemaRegistryException(describe() + " answered " + path + " without an id: " + reply.body, false);
            }
            ids.put(schema, id);
            schemasById.putIfAbsent(id, schema);
            return id;
        }
        int errorCode = reply.json.path("error_code").asInt(reply.status);
        String message = reply.json.path("message").asText(reply.body);
        if (!autoRegister && (errorCode == 40401 || errorCode == 40403)) {
            throw new SchemaRegistryException("schema " + schema.getFullName() + " is not registered under subject '" + subject
                    + "' in " + describe() + " and auto-registration is off (" + message + "). Register it first,"
                    + " or set schema.registry.auto.register=true", false);
        }
        if (reply.status == 409 || errorCode == 42201 || errorCode == 409) {
            throw new SchemaRegistryException(describe() + " refused schema " + schema.getFullName() + " under subject '" + subject
                    + "': " + message + ". A new schema version must read the data of the old ones (BACKWARD compatibility):"
                    + " give new fields defaults and do not remove fields without defaults", false);
        }
        throw refusal(reply, "register schema " + schema.getFullName() + " under subject '" + subject + "'");
    }

    @Override
    public Optional<Schema> schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return Optional.of(cached);
        }
        Long until = unknownIdsUntil.get(id);
        if (until != null && until > System.nanoTime()) {
            return Optional.empty();
        }
        Reply reply = send("GET", "/schemas/ids/" + id, null);
        if (reply.status == 404) {
            unknownIdsUntil.put(id, System.nanoTime() + UNKNOWN_ID_TTL.toNanos());
            return Optional.empty();
        }
        if (reply.status != 200) {
            throw refusal(reply, "fetch schema id " + id);
        }
        String type = reply.json.path("schemaType").asText("AVRO");
        if (!type.equals("AVRO")) {
            throw new SchemaRegistryException("schema id " + id + " in " + describe() + " is a " + type
                    + " schema; ASR topics carry Avro only", false);
        }
        Schema schema;
        try {
            schema = new Schema.Parser().parse(reply.json.path("schema").asText());
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException("schema id " + id + " in " + describe() + " is not a valid Avro schema: " + e.getMessage(), false, e);
        }
        Schema existing = schemasById.putIfAbsent(id, schema);
        return Optional.of(existing != null ? existing : schema);
    }

    /** Lists the subjects: any answer but a refusal or a server error means the registry is there. */
    @Override
    public void check() {
        Reply reply = send("GET", "/subjects", null);
        if (reply.status >= 300) {
            throw refusal(reply, "list its subjects");
        }
    }

    @Override
    public String describe() {
        return "Schema Registry at " + baseUrl;
    }

    private SchemaRegistryException refusal(Reply reply, String what) {
        if (reply.status == 401 || reply.status == 403) {
            return new SchemaRegistryException(describe() + " refused to " + what + " (HTTP " + reply.status
                    + "): check schema.registry.basic.auth.user.info", false);
        }
        return new SchemaRegistryException(describe() + " could not " + what + " (HTTP " + reply.status + "): "
                + reply.json.path("message").asText(reply.body), reply.status >= 500);
    }

    private Reply send(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Accept", ACCEPT);
        authorization.ifPresent(value -> request.header("Authorization", value));
        if (body != null) {
            request.header("Content-Type", CONTENT_TYPE).method(method, HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        IOException last = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
                if (response.statusCode() >= 500 && attempt < ATTEMPTS) {
                    pause(attempt);
                    continue;
                }
                return new Reply(response.statusCode(), response.body());
            } catch (IOException e) {
                last = e;
                if (attempt < ATTEMPTS) {
                    pause(attempt);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException("interrupted while calling " + describe(), true, e);
            }
        }
        throw new SchemaRegistryException("cannot reach " + describe() + " (" + method + " " + path + "): " + last
                + ". Check schema.registry.url and that the registry is up", true, last);
    }

    private static void pause(int attempt) {
        try {
            Thread.sleep(100L << attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Percent-encodes a subject for a URL path (URLEncoder would turn spaces into '+'). */
    static String pathSegment(String subject) {
        StringBuilder out = new StringBuilder();
        for (byte b : subject.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return out.toString();
    }

    private static final class Reply {
        final int status;
        final String body;
        final JsonNode json;

        Reply(int status, String body) {
            this.status = status;
            this.body = body;
            JsonNode parsed;
            try {
                parsed = body == null || body.isBlank() ? JSON.createObjectNode() : JSON.readTree(body);
            } catch (IOException e) {
                parsed = JSON.createObjectNode();
            }
            this.json = parsed;
        }
    }
}
