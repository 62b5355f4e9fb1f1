package dev.asr.ingest.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.asr.allowances.ledger.CashView;
import dev.asr.allowances.ledger.SpendRate;
import dev.asr.allowances.service.AgentStatus;
import dev.asr.allowances.service.AllowanceService;
import dev.asr.event.Band;
import io.undertow.server.HttpServerExchange;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The allowance half of the read API (contract §9): {@code GET /v1/agents/{fleet}/{agent_id}} — the
 * agent's band and allowance state (cash view, burn rates, time to exhaustion) — and {@code GET
 * /v1/fleets/{fleet}} — agents per band and the fleet's allowance totals. The same fleet-scoped
 * tokens as the rest: a token for fleet A cannot read fleet B (403). The figures per view are
 * not served here yet (they live in the topology's stores).
 */
final class AllowanceReadEndpoint {

    private static final ObjectMapper JSON = new ObjectMapper();
    static final String AGENTS = "/v1/agents/";
    static final String FLEETS = "/v1/fleets/";

    private final AllowanceService allowances;

    AllowanceReadEndpoint(AllowanceService allowances) {
        this.allowances = allowances;
    }

    static boolean handles(String path) {
        return path.startsWith(AGENTS) || path.startsWith(FLEETS);
    }

    void answer(HttpServerExchange exchange, Tokens.Grant grant, String path) {
        if (allowances == null) {
            IngestGateway.reply(exchange, 404, IngestGateway.error("allowances are not run by this gateway"));
            return;
        }
        boolean agent = path.startsWith(AGENTS);
        String[] parts = path.substring(agent ? AGENTS.length() : FLEETS.length()).split("/", -1);
        if (parts.length != (agent ? 2 : 1) || parts[0].isEmpty() || (agent && parts[1].isEmpty())) {
            IngestGateway.reply(exchange, 404, IngestGateway.error(agent ? "use GET /v1/agents/{fleet}/{agent_id}" : "use GET /v1/fleets/{fleet}"));
            return;
        }
        String fleet = URLDecoder.decode(parts[0], StandardCharsets.UTF_8);
        if (!grant.mayWrite(fleet)) {
            IngestGateway.reply(exchange, 403, IngestGateway.error("this token may not read fleet " + fleet + ": use a token granted that fleet"));
            return;
        }
        if (agent) {
            String agentId = URLDecoder.decode(parts[1], StandardCharsets.UTF_8);
            Optional<AgentStatus> status = allowances.status(fleet, agentId);
            if (status.isEmpty()) {
                IngestGateway.reply(exchange, 404, IngestGateway.error("no agent " + agentId + " in fleet " + fleet
                        + " has spent or asked in the periods the allowances know"));
                return;
            }
            IngestGateway.reply(exchange, 200, agent(status.get()));
            return;
        }
        IngestGateway.reply(exchange, 200, fleet(fleet, allowances.fleet(fleet)));
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

    static ObjectNode fleet(String fleet, List<AgentStatus> statuses) {
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
