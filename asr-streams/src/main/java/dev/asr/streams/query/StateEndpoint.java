package dev.asr.streams.query;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.apache.kafka.streams.state.HostInfo;

/**
 * The topology's state over HTTP, on the Streams process's own port (internal: no tokens; the
 * gateway checks the fleet-scoped token before it asks here):
 *
 * <ul>
 *   <li>{@code GET /v1/state/agents/{fleet}/{agent_id}}: {@link AgentFigures}.
 *   <li>{@code GET /v1/state/fleets/{fleet}}: the fleet's latest row per view.
 * </ul>
 *
 * Any instance answers any key: one that does not own the key's partition asks the owner (once:
 * a request already routed and still not local — ownership moved meanwhile — answers 503 with
 * {@code Retry-After}). 404 when nothing is held; 503 while no instance can answer.
 */
public final class StateEndpoint {

    public static final String PREFIX = "/v1/state/";
    static final String ROUTED = "X-Asr-Routed-By";
    /** Which instance answered ({@code application.server}): kept when routed, so a client sees where its key lives. */
    public static final String SERVED_BY = "X-Asr-Served-By";
    private static final String AGENTS = PREFIX + "agents/";
    private static final String FLEETS = PREFIX + "fleets/";
    private static final Duration OWNER_TIMEOUT = Duration.ofSeconds(5);

    private final StateQueries queries;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(OWNER_TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();

    public StateEndpoint(StateQueries queries) {
        this.queries = queries;
    }

    public static boolean handles(String path) {
        return path.startsWith(PREFIX);
    }

    /** Answers a request under {@link #PREFIX}; {@code queries} null: the topology has not started. */
    public static void serve(HttpExchange exchange, StateEndpoint endpoint) throws IOException {
        if (!exchange.getRequestMethod().equals("GET")) {
            send(exchange, 405, error(exchange.getRequestMethod() + " is not allowed here: use GET"), null);
            return;
        }
        if (endpoint == null) {
            send(exchange, 503, error("the topology has not started yet: ask again shortly"), "5");
            return;
        }
        endpoint.answer(exchange);
    }

    private void answer(HttpExchange exchange) throws IOException {
        String raw = exchange.getRequestURI().getRawPath();
        boolean agent = raw.startsWith(AGENTS);
        if (!agent && !raw.startsWith(FLEETS)) {
            send(exchange, 404, error("use GET " + AGENTS + "{fleet}/{agent_id} or " + FLEETS + "{fleet}"), null);
            return;
        }
        String[] parts = raw.substring(agent ? AGENTS.length() : FLEETS.length()).split("/", -1);
        if (parts.length != (agent ? 2 : 1) || parts[0].isEmpty() || (agent && parts[1].isEmpty())) {
            send(exchange, 404, error(agent ? "use GET " + AGENTS + "{fleet}/{agent_id}" : "use GET " + FLEETS + "{fleet}"), null);
            return;
        }
        String fleet = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set(SERVED_BY, queries.self().toString());
        StateQueries.Answer answer = agent ? queries.agent(fleet, URLDecoder.decode(parts[1], StandardCharsets.UTF_8)) : queries.fleet(fleet);
        if (answer instanceof StateQueries.Answer.Found found) {
            send(exchange, 200, found.body().toString(), null);
        } else if (answer instanceof StateQueries.Answer.Missing missing) {
            send(exchange, 404, error(missing.why()), null);
        } else if (answer instanceof StateQueries.Answer.Unavailable unavailable) {
            send(exchange, 503, error(unavailable.why()), "2");
        } else if (answer instanceof StateQueries.Answer.Elsewhere elsewhere) {
            forward(exchange, raw, elsewhere.owner());
        }
    }

    private void forward(HttpExchange exchange, String rawPath, HostInfo owner) throws IOException {
        String routedBy = exchange.getRequestHeaders().getFirst(ROUTED);
        if (routedBy != null) {
            send(exchange, 503, error("the partition moved while the request was routed (from " + routedBy + " to " + queries.self()
                    + ", now owned by " + owner + "): ask again"), "1");
            return;
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://" + owner.host() + ":" + owner.port() + rawPath))
                .timeout(OWNER_TIMEOUT).header(ROUTED, queries.self().toString()).GET().build();
        try {
            HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
            exchange.getResponseHeaders().set(SERVED_BY, response.headers().firstValue(SERVED_BY).orElse(owner.toString()));
            send(exchange, response.statusCode(), response.body(), response.headers().firstValue("Retry-After").orElse(null));
        } catch (IOException e) {
            send(exchange, 503, error("the instance that owns this key (" + owner + ", its application.server) did not answer: "
                    + e.getMessage() + "; check asr.streams.advertised-host and that the instance is up"), "5");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            send(exchange, 503, error("interrupted while asking " + owner), "1");
        }
    }

    private static String error(String message) {
        ObjectNode body = RowJson.JSON.createObjectNode().put("error", message);
        return body.toString();
    }

    private static void send(HttpExchange exchange, int status, String body, String retryAfter) throws IOException {
        send(exchange, status, body.getBytes(StandardCharsets.UTF_8), retryAfter);
    }

    private static void send(HttpExchange exchange, int status, byte[] body, String retryAfter) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        if (retryAfter != null) {
            exchange.getResponseHeaders().set("Retry-After", retryAfter);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
