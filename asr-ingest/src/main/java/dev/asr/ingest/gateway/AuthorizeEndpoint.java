package dev.asr.ingest.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.allowances.decision.AuthorizationRequest;
import dev.asr.allowances.decision.Outcome;
import dev.asr.allowances.ledger.CashView;
import dev.asr.allowances.service.AllowanceService;
import dev.asr.event.SpendKind;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.CompletionException;

/**
 * {@code POST /v1/authorize}: may this agent spend this much now? ({@code fleet}, {@code agent_id},
 * {@code amount_micros}, {@code kind}, optional {@code task_id} and idempotency {@code
 * authorization_id}) answered 200 with the decision, its reason and the cash view it was decided
 * against. {@code POST /v1/authorize/release} ({@code fleet}, {@code agent_id}, {@code
 * authorization_id}) releases an ALLOW's hold early. The token must grant the fleet (403
 * otherwise); while the allowances restore, 503 with {@code Retry-After} and reason {@code
 * not-ready} (fail closed). A decision is made on the I/O thread and answered, on that thread, when
 * Kafka acknowledged it: no thread waits meanwhile. A release runs on a worker thread.
 *
 * <p>With several deciding gateways ({@code asr.allowance.advertised-url}), a request for an agent
 * another gateway decides for is forwarded there as it came (its token included) and that
 * gateway's answer returned as it is; every answer names its decider ({@value #DECIDED_BY}). A
 * forwarded request is never forwarded again: one that reaches a gateway that no longer decides for
 * the agent (the group is moving partitions) is answered 503 {@code not-ready} with {@code
 * Retry-After}.
 */
final class AuthorizeEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpString RETRY_AFTER = new HttpString("Retry-After");
    static final String DECIDED_BY = "X-Asr-Decided-By";
    static final String FORWARDED_BY = "X-Asr-Forwarded-By";
    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(40);

    private final AllowanceService allowances;
    private final Duration retryAfter;
    /** Forwards to the other deciding gateways; none with one. */
    private final HttpClient forwarder;

    AuthorizeEndpoint(AllowanceService allowances, Duration retryAfter) {
        this.allowances = allowances;
        this.retryAfter = retryAfter;
        this.forwarder = allowances != null && allowances.settings().shared() ? HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build() : null;
    }

    void answer(HttpServerExchange exchange, Tokens.Grant grant, byte[] body, boolean release) {
        if (allowances == null) {
            IngestGateway.reply(exchange, 404, IngestGateway.error("allowances are not run by this gateway (POST /v1/authorize is off)"));
            return;
        }
        JsonNode request;
        try {
            request = JSON.readTree(body);
        } catch (IOException e) {
            IngestGateway.reply(exchange, 400, IngestGateway.error("the body is not JSON: send one object, e.g. {\"fleet\":\"trading\","
                    + "\"agent_id\":\"bot-1\",\"amount_micros\":2500000,\"kind\":\"TRANSACTION\"}"));
            return;
        }
        if (request == null || !request.isObject()) {
            IngestGateway.reply(exchange, 400, IngestGateway.error("send one JSON object"));
            return;
        }
        String fleet = text(request, "fleet");
        String agentId = text(request, "agent_id");
        String authorizationId = text(request, "authorization_id");
        if (fleet == null || agentId == null) {
            IngestGateway.reply(exchange, 400, IngestGateway.error("fleet and agent_id are required strings"));
            return;
        }
        if (!grant.mayWrite(fleet)) {
            IngestGateway.reply(exchange, 403, IngestGateway.error("this token may not act for fleet " + fleet
                    + ": use a token granted that fleet"));
            return;
        }
        try {
            String decider = allowances.deciderOf(agentId);
            if (decider != null) {
                forward(exchange, decider, body, release);
                return;
            }
            if (allowances.settings().shared()) {
                exchange.getResponseHeaders().put(new HttpString(DECIDED_BY), allowances.settings().advertisedUrl());
            }
            if (release) {
                if (authorizationId == null) {
                    IngestGateway.reply(exchange, 400, IngestGateway.error("authorization_id is required to release a hold"));
                    return;
                }
                boolean released = allowances.release(fleet, agentId, authorizationId);
                IngestGateway.reply(exchange, 200, JSON.createObjectNode().put("authorization_id", authorizationId).put("released", released));
                return;
            }
            JsonNode amount = request.get("amount_micros");
            if (amount == null || !amount.canConvertToLong() || !amount.isIntegralNumber()) {
                IngestGateway.reply(exchange, 400, IngestGateway.error("amount_micros must be a whole number of micros, e.g. 2500000 for"
                        + " 2.50"));
                return;
            }
            String given = text(request, "kind");
            String kind = given == null ? null : given.toUpperCase(Locale.ROOT);
            if (kind != null && Arrays.stream(SpendKind.values()).noneMatch(k -> k.name().equals(kind))) {
                IngestGateway.reply(exchange, 400, IngestGateway.error("kind is '" + given + "'; use one of "
                        + Arrays.toString(SpendKind.values())));
                return;
            }
            long micros = amount.asLong();
            allowances.authorizeAsync(new AuthorizationRequest(authorizationId, fleet, agentId, micros, kind, text(request, "task_id")))
                    .whenComplete((outcome, error) -> exchange.getIoThread().execute(() -> {
                        if (error == null) {
                            IngestGateway.reply(exchange, 200, answer(fleet, agentId, micros, outcome));
                        } else {
                            notDurable(exchange, error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
                        }
                    }));
        } catch (AllowanceService.NotReadyException e) {
            notReady(exchange, e.getMessage());
        } catch (IllegalStateException e) {
            notDurable(exchange, e);
        }
    }

    /**
     * Sends the request to the gateway that decides for its agent and answers with that gateway's
     * answer (status, body, {@code Retry-After}, decider): a decision on the I/O thread once it
     * came, a release ({@code onWorker}) waiting for it on the worker thread. No answer: 503 {@code
     * not-ready}; the decider may have decided and the answer been lost on the way back, and a retry
     * with the same {@code authorization_id} gets that decision.
     */
    private void forward(HttpServerExchange exchange, String decider, byte[] body, boolean onWorker) {
        String from = exchange.getRequestHeaders().getFirst(FORWARDED_BY);
        if (from != null) {
            notReady(exchange, "forwarded by " + from + " to this gateway, which does not decide for the agent now (the deciding"
                    + " gateways are moving partitions): retry shortly");
            return;
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(decider + exchange.getRequestPath())).timeout(FORWARD_TIMEOUT)
                .header("Content-Type", "application/json").header(FORWARDED_BY, allowances.settings().advertisedUrl())
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        String authorization = exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (onWorker) {
            try {
                relay(exchange, decider, forwarder.send(request.build(), HttpResponse.BodyHandlers.ofByteArray()), null);
            } catch (IOException e) {
                relay(exchange, decider, null, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                relay(exchange, decider, null, e);
            }
            return;
        }
        forwarder.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray()).whenComplete((response, error) ->
                exchange.getIoThread().execute(() -> relay(exchange, decider, response, error)));
    }

    private void relay(HttpServerExchange exchange, String decider, HttpResponse<byte[]> response, Throwable error) {
        if (error != null) {
            notReady(exchange, "the gateway deciding for the agent, " + decider + ", did not answer (" + error + "): retry");
            return;
        }
        if (exchange.isResponseStarted()) {
            return;
        }
        exchange.setStatusCode(response.statusCode());
        response.headers().firstValue("Retry-After").ifPresent(v -> exchange.getResponseHeaders().put(RETRY_AFTER, v));
        response.headers().firstValue(DECIDED_BY).ifPresent(v -> exchange.getResponseHeaders().put(new HttpString(DECIDED_BY), v));
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, response.headers().firstValue("Content-Type").orElse("application/json"));
        exchange.getResponseSender().send(ByteBuffer.wrap(response.body()));
    }

    private void notReady(HttpServerExchange exchange, String why) {
        exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(retryAfter.toSeconds()));
        IngestGateway.reply(exchange, 503, IngestGateway.error(why).put("reason", "not-ready"));
    }

    /** The decision (or release) was not written: nothing was decided, retry. */
    private void notDurable(HttpServerExchange exchange, Throwable error) {
        exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(retryAfter.toSeconds()));
        IngestGateway.reply(exchange, 503, IngestGateway.error(error.getMessage()).put("reason", "not-durable"));
    }

    static ObjectNode answer(String fleet, String agentId, long amountMicros, Outcome outcome) {
        CashView view = outcome.view();
        ObjectNode answer = JSON.createObjectNode().put("authorization_id", outcome.authorizationId()).put("fleet", fleet)
                .put("agent_id", agentId).put("amount_micros", amountMicros).put("decision", outcome.decision().name()).put("reason", outcome.reason().code()).put("band", view.band().name())
                .put("limit_micros", view.limitMicros()).put("spent_micros", view.spentMicros()).put("held_micros", view.heldMicros())
                .put("remaining_micros", view.remainingMicros()).put("period_start", view.periodStart().toString())
                .put("period_end", view.periodEnd().toString()).put("decided_at", outcome.decidedAt().toString());
        if (outcome.holdExpiresAt() != null) {
            answer.put("hold_expires_at", outcome.holdExpiresAt().toString());
        }
        return answer;
    }

    private static String text(JsonNode request, String field) {
        JsonNode value = request.get(field);
        return value != null && value.isTextual() && !value.asText().isBlank() ? value.asText() : null;
    }
}
