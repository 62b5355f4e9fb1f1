package dev.asr.ingest.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.allowances.ledger.CashView;
import dev.asr.allowances.ledger.SpendRate;
import dev.asr.allowances.service.AgentStatus;
import dev.asr.allowances.service.AllowanceService;
import dev.asr.event.Band;
import dev.asr.schemas.rules.EventRules;
import dev.asr.schemas.rules.Violation;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The read API (contract §9): {@code GET /v1/agents/{fleet}/{agent_id}} — the agent's band, its
 * allowance state (cash view, burn rates, time to exhaustion) and its figures per view — and {@code
 * GET /v1/fleets/{fleet}} — agents per band, the fleet's allowance totals and its figures per view.
 * The same fleet-scoped tokens as the rest: a token for fleet A cannot read fleet B (403).
 *
 * <p>The allowance state is this process's own; the figures live in the topology's stores and are
 * asked of an {@code asr streams} instance ({@code asr.ingest.state-url}), which routes to the
 * instance owning the agent's partition. Asked without blocking the I/O thread; when the topology
 * cannot answer (restoring, rebalancing, unreachable) the allowance half is still served, with
 * {@code figures: null} and {@code figures_unavailable} saying why.
 */
final class ReadEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpString RETRY_AFTER = new HttpString("Retry-After");
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(5);
    static final String AGENTS = "/v1/agents/";
    static final String FLEETS = "/v1/fleets/";

    private final AllowanceService allowances;
    private final URI stateUrl;
    private final Duration retryAfter;
    private final HttpClient client;

    /** @param allowances null when this gateway runs none; @param stateUrl null when it asks no topology for figures */
    ReadEndpoint(AllowanceService allowances, URI stateUrl, Duration retryAfter) {
        this.allowances = allowances;
        this.stateUrl = stateUrl;
        this.retryAfter = retryAfter;
        this.client = stateUrl == null ? null
                : HttpClient.newBuilder().connectTimeout(STATE_TIMEOUT).version(HttpClient.Version.HTTP_1_1).build();
    }

    static boolean handles(String path) {
        return path.startsWith(AGENTS) || path.startsWith(FLEETS);
    }

    /** Runs on the I/O thread; the figures, when asked for, arrive on the HTTP client's thread and are answered on the I/O thread. */
    void answer(HttpServerExchange exchange, Tokens.Grant grant) {
        if (allowances == null && stateUrl == null) {
            IngestGateway.reply(exchange, 404, IngestGateway.error("this gateway serves no read API: run it with allowances, or set"
                    + " asr.ingest.state-url to an asr streams instance"));
            return;
        }
        String raw = exchange.getRequestURI();
        if (!raw.startsWith("/")) {
            raw = URI.create(raw).getRawPath(); // an absolute-form request target
        }
        boolean agent = raw.startsWith(AGENTS);
        String[] parts = raw.substring(agent ? AGENTS.length() : FLEETS.length()).split("/", -1);
        if (parts.length != (agent ? 2 : 1) || parts[0].isEmpty() || (agent && parts[1].isEmpty())) {
            IngestGateway.reply(exchange, 404, IngestGateway.error(agent ? "use GET /v1/agents/{fleet}/{agent_id}" : "use GET /v1/fleets/{fleet}"));
            return;
        }
        String fleet = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
        if (!grant.mayWrite(fleet)) {
            IngestGateway.reply(exchange, 403, IngestGateway.error("this token may not read fleet " + fleet + ": use a token granted that fleet"));
            return;
        }
        String agentId = agent ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : null;
        Violation notAnId = EventRules.id("fleet", fleet);
        if (notAnId == null && agent) {
            notAnId = EventRules.id("agent_id", agentId);
        }
        if (notAnId != null) {
            IngestGateway.reply(exchange, 404, IngestGateway.error("no such " + (agent ? "agent" : "fleet") + ": " + notAnId.message()));
            return;
        }
        ObjectNode answer = agent ? agentAllowance(fleet, agentId) : fleet(fleet, allowances == null ? null : allowances.fleet(fleet));
        if (stateUrl == null) {
            finish(exchange, answer, agentId, new Figures(404, null, "figures per view are not served by this gateway: set"
                    + " asr.ingest.state-url to an asr streams instance"));
            return;
        }
        String statePath = agent ? "/v1/state/agents/" + encode(fleet) + "/" + encode(agentId) : "/v1/state/fleets/" + encode(fleet);
        HttpRequest request = HttpRequest.newBuilder(stateUrl.resolve(statePath)).timeout(STATE_TIMEOUT).GET().build();
        exchange.dispatch(SameThreadExecutor.INSTANCE, () -> client.sendAsync(request, HttpResponse.BodyHandlers.ofString())
                .whenComplete((response, error) -> exchange.getIoThread().execute(() -> {
                    try {
                        finish(exchange, answer, agentId, error != null
                                ? new Figures(503, null, "the topology at " + stateUrl + " (asr.ingest.state-url) did not answer: " + error)
                                : Figures.of(response));
                    } catch (RuntimeException e) {
                        IngestGateway.reply(exchange, 500, IngestGateway.error("internal error: " + e.getClass().getSimpleName()));
                    }
                })));
    }

    /** What the topology said: its status, the figures when 200, else why there are none. */
    private record Figures(int status, ObjectNode body, String unavailable) {

        static Figures of(HttpResponse<String> response) {
            try {
                JsonNode body = JSON.readTree(response.body());
                if (response.statusCode() == 200 && body instanceof ObjectNode figures) {
                    return new Figures(200, figures, null);
                }
                return new Figures(response.statusCode(), null, body.path("error").asText("the topology answered " + response.statusCode()));
            } catch (IOException e) {
                return new Figures(502, null, "the topology answered " + response.statusCode() + " with a body that is not JSON");
            }
        }
    }

    /** Joins the two halves: 404 only when neither knows the agent (or fleet); 503 when the topology cannot say and the allowances know nothing. */
    private void finish(HttpServerExchange exchange, ObjectNode answer, String agentId, Figures figures) {
        boolean allowanceKnown = answer.path("allowance").isObject();
        if (figures.status() == 200) {
            ObjectNode body = figures.body();
            body.remove("fleet");
            body.remove("agent_id");
            if (!answer.has("band") || answer.get("band").isNull()) {
                answer.set("band", body.get("band"));
            }
            answer.set("figures", body);
        } else {
            answer.putNull("figures");
            answer.put("figures_unavailable", figures.unavailable());
        }
        if (figures.status() == 200 || allowanceKnown) {
            IngestGateway.reply(exchange, 200, answer);
        } else if (figures.status() == 404 || figures.status() == 400) {
            IngestGateway.reply(exchange, 404, IngestGateway.error((agentId == null ? "no fleet " + answer.get("fleet").asText()
                    : "no agent " + agentId + " in fleet " + answer.get("fleet").asText())
                    + (allowances == null ? "" : " in the allowances' periods") + "; figures: " + figures.unavailable()));
        } else {
            exchange.getResponseHeaders().put(RETRY_AFTER, Long.toString(retryAfter.toSeconds()));
            IngestGateway.reply(exchange, 503, IngestGateway.error("figures unavailable now, ask again: " + figures.unavailable()));
        }
    }

    private ObjectNode agentAllowance(String fleet, String agentId) {
        Optional<AgentStatus> status = allowances == null ? Optional.empty() : allowances.status(fleet, agentId);
        if (status.isPresent()) {
            return agent(status.get());
        }
        ObjectNode answer = JSON.createObjectNode().put("fleet", fleet).put("agent_id", agentId).putNull("band");
        return answer.putNull("allowance");
    }

    private static String encode(String part) {
        return URLEncoder.encode(part, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static ObjectNode agent(AgentStatus status) {
        CashView cash = status.cash();
        ObjectNode answer = JSON.createObjectNode().put("fleet", status.fleet()).put("agent_id", status.agentId())
                .put("band", cash.band().name());
        ObjectNode allowance = answer.putObject("allowance").put("limit_micros", cash.limitMicros()).put("spent_micros", cash.spentMicros())
                .put("held_micros", cash.heldMicros()).put("remaining_micros", cash.remainingMicros())
                .put("period_start", cash.periodStart().toString()).put("period_end", cash.periodEnd().toString())
                .put("mode", status.allowance().mode().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'))
                .put("max_spend_micros", status.allowance().maxSpendMicros()).put("review_above_micros", status.allowance().reviewAboveMicros())
                .put("exhausted", cash.exhausted());
        ObjectNode burn = allowance.putObject("burn_micros_per_second");
        for (int i = 0; i < SpendRate.WINDOWS.length; i++) {
            Duration window = SpendRate.WINDOWS[i];
            burn.put(window.toMinutes() % 60 == 0 ? window.toHours() + "h" : window.toMinutes() + "m", status.burnMicrosPerSecond()[i]);
        }
        if (Double.isInfinite(status.secondsToExhaustion())) {
            allowance.putNull("seconds_to_exhaustion");
        } else {
            allowance.put("seconds_to_exhaustion", status.secondsToExhaustion());
        }
        return answer;
    }

    /** The fleet's allowance totals; {@code statuses} null: this gateway runs no allowances. */
    static ObjectNode fleet(String fleet, List<AgentStatus> statuses) {
        if (statuses == null) {
            ObjectNode answer = JSON.createObjectNode().put("fleet", fleet);
            return answer.putNull("allowance");
        }
        Map<Band, Integer> bands = new EnumMap<>(Band.class);
        long limit = 0;
        long spent = 0;
        long held = 0;
        long remaining = 0;
        int exhausted = 0;
        for (AgentStatus status : statuses) {
            CashView cash = status.cash();
            bands.merge(cash.band(), 1, Integer::sum);
            limit += cash.limitMicros();
            spent += cash.spentMicros();
            held += cash.heldMicros();
            remaining += cash.remainingMicros();
            exhausted += cash.exhausted() ? 1 : 0;
        }
        ObjectNode answer = JSON.createObjectNode().put("fleet", fleet).put("agents", statuses.size());
        ObjectNode perBand = answer.putObject("agents_per_band");
        for (Band band : Band.values()) {
            perBand.put(band.name(), bands.getOrDefault(band, 0));
        }
        answer.putObject("allowance").put("limit_micros", limit).put("spent_micros", spent).put("held_micros", held)
                .put("remaining_micros", remaining).put("exhausted_agents", exhausted);
        return answer;
    }
}
