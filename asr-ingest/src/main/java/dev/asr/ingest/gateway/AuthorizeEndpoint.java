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
import io.undertow.util.HttpString;
import java.io.IOException;
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
 */
final class AuthorizeEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpString RETRY_AFTER = new HttpString("Retry-After");

    private final AllowanceService allowances;
    private final Duration retryAfter;

    AuthorizeEndpoint(AllowanceService allowances, Duration retryAfter) {
        this.allowances = allowances;
        this.retryAfter = retryAfter;
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
            exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(retryAfter.toSeconds()));
            IngestGateway.reply(exchange, 503, IngestGateway.error(e.getMessage()).put("reason", "not-ready"));
        } catch (IllegalStateException e) {
            notDurable(exchange, e);
        }
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
