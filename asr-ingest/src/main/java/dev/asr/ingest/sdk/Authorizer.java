package dev.asr.ingest.sdk;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.allowances.decision.AuthorizationIds;
import dev.asr.event.SpendKind;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;

/**
 * Asks the gateway's {@code POST /v1/authorize} before a spend (contract §9), with the fleet's
 * bearer token. Every request carries an {@code authorization_id}, so retries are safe: a 503 or
 * 429 (the allowances restoring, Kafka slow) is retried after its {@code Retry-After}, a lost
 * connection after a backoff (0.2 s doubling to 5 s), until {@code patience} has passed; then
 * {@link AuthorizationUnavailableException}. An agent that cannot get an answer must not spend.
 */
public final class Authorizer {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** No answer within the patience: treat as not allowed. */
    public static final class AuthorizationUnavailableException extends RuntimeException {
        AuthorizationUnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private final URI authorize;
    private final URI release;
    private final String token;
    private final Duration patience;
    private final HttpClient http;

    private Authorizer(URI gateway, String token, Duration patience) {
        String base = gateway.toString().endsWith("/") ? gateway.toString() : gateway + "/";
        this.authorize = URI.create(base + "v1/authorize");
        this.release = URI.create(base + "v1/authorize/release");
        this.token = token;
        this.patience = patience;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    /** Asks the gateway at {@code gateway} (e.g. {@code http://localhost:8080}) with {@code token}, retrying for up to 10 s. */
    public static Authorizer of(String gateway, String token) {
        return of(URI.create(gateway), token, Duration.ofSeconds(10));
    }

    public static Authorizer of(URI gateway, String token, Duration patience) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("the gateway needs a bearer token: make one with 'asr ingest --new-token FLEET'");
        }
        return new Authorizer(gateway, token, patience);
    }

    /**
     * May {@code agentId} of {@code fleet} spend {@code amountMicros} of {@code kind} now (for {@code taskId}, may be null)? The
     * request carries a new time-ordered id (see {@code AuthorizationIds}: ids in order are cheaper for the gateway to hold).
     */
    public Authorization authorize(String fleet, String agentId, long amountMicros, SpendKind kind, String taskId) {
        return authorize(AuthorizationIds.next(), fleet, agentId, amountMicros, kind, taskId);
    }

    /** The same with the caller's {@code authorizationId}: asking again with it returns the first decision. */
    public Authorization authorize(String authorizationId, String fleet, String agentId, long amountMicros, SpendKind kind, String taskId) {
        ObjectNode body = JSON.createObjectNode().put("authorization_id", authorizationId).put("fleet", fleet).put("agent_id", agentId)
                .put("amount_micros", amountMicros);
        if (kind != null) {
            body.put("kind", kind.name());
        }
        if (taskId != null) {
            body.put("task_id", taskId);
        }
        JsonNode answer = post(authorize, body);
        return new Authorization(answer.path("authorization_id").asText(authorizationId), fleet, agentId, amountMicros,
                answer.path("decision").asText(), answer.path("reason").asText(), answer.path("band").asText(),
                answer.path("limit_micros").asLong(), answer.path("spent_micros").asLong(), answer.path("held_micros").asLong(),
                answer.path("remaining_micros").asLong(),
                answer.hasNonNull("hold_expires_at") ? Instant.parse(answer.get("hold_expires_at").asText()) : null);
    }

    /** Gives an ALLOW's hold back before it expires (the spend will not happen); false when no such hold is open. */
    public boolean release(Authorization authorization) {
        return post(release, JSON.createObjectNode().put("fleet", authorization.fleet()).put("agent_id", authorization.agentId())
                .put("authorization_id", authorization.authorizationId())).path("released").asBoolean();
    }

    private JsonNode post(URI uri, ObjectNode body) {
        long deadline = System.nanoTime() + patience.toNanos();
        long backoffMs = 200;
        Exception last = null;
        while (true) {
            long waitMs;
            try {
                HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(), HttpResponse.BodyHandlers.ofString());
                int status = response.statusCode();
                if (status == 200) {
                    return JSON.readTree(response.body());
                }
                if (status != 503 && status != 429) {
                    throw new IllegalArgumentException(uri + " answered " + status + ": " + error(response.body()));
                }
                last = new IOException(status + " " + error(response.body()));
                waitMs = response.headers().firstValue("Retry-After").map(Authorizer::seconds).orElse(backoffMs);
            } catch (IOException e) {
                last = e;
                waitMs = backoffMs;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AuthorizationUnavailableException("interrupted while asking " + uri, e);
            }
            if (System.nanoTime() + waitMs * 1_000_000 > deadline) {
                throw new AuthorizationUnavailableException("no decision from " + uri + " within " + patience.toSeconds() + " s ("
                        + last.getMessage() + "): do not spend", last);
            }
            try {
                Thread.sleep(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AuthorizationUnavailableException("interrupted while asking " + uri, e);
            }
            backoffMs = Math.min(5_000, backoffMs * 2);
        }
    }

    private static long seconds(String retryAfter) {
        try {
            return Math.max(1, Long.parseLong(retryAfter.trim())) * 1_000;
        } catch (NumberFormatException e) {
            return 1_000;
        }
    }

    private static String error(String body) {
        try {
            JsonNode json = JSON.readTree(body);
            return json.hasNonNull("error") ? json.get("error").asText() : body;
        } catch (IOException e) {
            return body;
        }
    }
}
