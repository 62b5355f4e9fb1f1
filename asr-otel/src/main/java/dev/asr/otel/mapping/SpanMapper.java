package dev.asr.otel.mapping;

import com.google.protobuf.ByteString;
import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.otel.prices.PriceTable;
import dev.asr.otel.prices.Usage;
import dev.asr.schemas.rules.EventRules;
import dev.asr.schemas.rules.Violation;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * OpenTelemetry GenAI spans to ASR events (contract §10), one export request at a time. Pure:
 * the prices, the event rules and the time are given.
 *
 * <ul>
 *   <li>An inference span ({@code gen_ai.operation.name} chat, text_completion, generate_content,
 *       embeddings) is INFERENCE spend: its tokens, and its cost — the span's own {@code
 *       gen_ai.usage.cost.amount}, else the price table's, else 0 with the source {@code unpriced}
 *       (counted per model). The source is kept in the event's {@code attributes.cost_source}.
 *   <li>An {@code execute_tool} span is TOOL_CALL spend: its cost attribute, else the tool's price,
 *       else 0 (the action still counts).
 *   <li>An {@code invoke_agent} span is a task ({@code task_id} from its trace and span id, or its
 *       {@code gen_ai.conversation.id} when so set), settled when it ends: {@code asr.outcome},
 *       {@code asr.value_micros}, {@code asr.human_interventions} when present, otherwise from its
 *       status (ERROR → FAILED, else SUCCEEDED) with {@code attributes.outcome_source=assumed}, or
 *       no outcome at all when assuming is off. It carries no spend: its children's is its cost.
 *   <li>Agent identity ({@code gen_ai.agent.id}, else {@code gen_ai.agent.name}) and task come
 *       from the nearest {@code invoke_agent} ancestor in the request, else from the span's own
 *       attributes (spend then serves no task). A GenAI span with neither is rejected ({@code
 *       no-agent}); fleet from the resource's {@code asr.fleet} (which the token must grant), else
 *       the token's one fleet.
 *   <li>{@code event_id} is {@code otel-<trace id>-<span id>}: a resent batch counts once.
 *   <li>Spans without {@code gen_ai.operation.name}, and GenAI operations that are neither, are
 *       ignored and counted.
 * </ul>
 */
public final class SpanMapper {

    /**
     * @param assumeOutcomes settle an {@code invoke_agent} span without {@code asr.outcome} from its status (default on)
     * @param taskFromConversation use {@code gen_ai.conversation.id} as the task id when the span has one (default off)
     */
    public record Settings(boolean assumeOutcomes, boolean taskFromConversation) {

        public static Settings defaults() {
            return new Settings(true, false);
        }
    }

    /** Who is sending: the fleets its token may write, and the one fleet to use when the resource names none (null if several). */
    public record Sender(Predicate<String> mayWrite, String onlyFleet) {}

    /** A span that could not be used, and why. */
    public record Rejected(String traceId, String spanId, String reason, String message) {}

    /** What one request maps to. */
    public record Mapped(List<SpendEvent> spend, List<OutcomeEvent> outcomes, List<Rejected> rejected, int ignored,
            Map<String, Integer> unpricedByModel) {}

    private static final HexFormat HEX = HexFormat.of();
    /** How far up a span's parents are followed to find its agent. */
    private static final int MAX_DEPTH = 256;

    private final PriceTable prices;
    private final EventRules rules;
    private final Settings settings;

    public SpanMapper(PriceTable prices, EventRules rules, Settings settings) {
        this.prices = prices;
        this.rules = rules;
        this.settings = settings;
    }

    private record Agent(String agentId, String taskId) {}

    /** What a span resolves to when nothing above it names an agent. */
    private static final Agent NO_AGENT = new Agent("", "");

    public Mapped map(ExportTraceServiceRequest request, Sender sender, Instant now) {
        List<SpendEvent> spend = new ArrayList<>();
        List<OutcomeEvent> outcomes = new ArrayList<>();
        List<Rejected> rejected = new ArrayList<>();
        Map<String, Integer> unpriced = new TreeMap<>();
        int ignored = 0;
        Map<ByteString, Span> byId = new HashMap<>();
        Map<ByteString, Agent> known = new HashMap<>();
        for (ResourceSpans resource : request.getResourceSpansList()) {
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    byId.putIfAbsent(key(span.getTraceId(), span.getSpanId()), span);
                }
            }
        }
        for (ResourceSpans resource : request.getResourceSpansList()) {
            SpanAttributes resourceAttributes = SpanAttributes.of(resource.getResource().getAttributesList());
            String named = resourceAttributes.text(GenAi.FLEET);
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    SpanAttributes attributes = SpanAttributes.of(span.getAttributesList());
                    String operation = attributes.text(GenAi.OPERATION);
                    boolean inference = operation != null && GenAi.INFERENCE.contains(operation.toLowerCase(Locale.ROOT));
                    boolean tool = GenAi.EXECUTE_TOOL.equalsIgnoreCase(operation);
                    boolean agentSpan = GenAi.INVOKE_AGENT.equalsIgnoreCase(operation);
                    if (!inference && !tool && !agentSpan) {
                        ignored++;
                        continue;
                    }
                    String traceId = HEX.formatHex(span.getTraceId().toByteArray());
                    String spanId = HEX.formatHex(span.getSpanId().toByteArray());
                    String fleet = named != null ? named : sender.onlyFleet();
                    if (fleet == null) {
                        rejected.add(new Rejected(traceId, spanId, "no-fleet", "the resource names no fleet (resource attribute asr.fleet)"
                                + " and the token is granted several: set asr.fleet, or use a token of one fleet"));
                        continue;
                    }
                    if (!sender.mayWrite().test(fleet)) {
                        rejected.add(new Rejected(traceId, spanId, "fleet-not-granted", "this token may not write fleet " + fleet
                                + " (resource attribute asr.fleet): use a token granted that fleet"));
                        continue;
                    }
                    Agent agent = agentSpan ? own(span, attributes) : ancestor(span, byId, known);
                    if (agent == null) {
                        String id = agentId(attributes);
                        agent = id == null ? null : new Agent(id, null);
                    }
                    if (agent == null) {
                        rejected.add(new Rejected(traceId, spanId, "no-agent", "no gen_ai.agent.id or gen_ai.agent.name on the span or an"
                                + " invoke_agent span above it in this request: name the agent"));
                        continue;
                    }
                    String eventId = "otel-" + traceId + "-" + spanId;
                    Instant at = Instant.ofEpochMilli(span.getEndTimeUnixNano() / 1_000_000);
                    if (agentSpan) {
                        OutcomeEvent outcome = outcome(span, attributes, eventId, agent, fleet, at);
                        if (outcome != null) {
                            Violation v = rules.check(outcome, now.toEpochMilli());
                            if (v != null) {
                                rejected.add(new Rejected(traceId, spanId, v.rejection().code(), v.message()));
                            } else {
                                outcomes.add(outcome);
                            }
                        } else {
                            ignored++;
                        }
                        continue;
                    }
                    Map<String, String> kept = new LinkedHashMap<>();
                    kept.put("otel_trace_id", traceId);
                    kept.put("otel_span_id", spanId);
                    SpendEvent.Builder event = SpendEvent.newBuilder().setEventId(eventId).setAgentId(agent.agentId()).setFleet(fleet)
                            .setTaskId(agent.taskId()).setCurrency(rules.currency()).setOccurredAt(at).setAuthorizationId(null);
                    Rejected refused = inference ? inference(attributes, event, kept, unpriced, at, traceId, spanId)
                            : tool(attributes, event, kept, traceId, spanId);
                    if (refused != null) {
                        rejected.add(refused);
                        continue;
                    }
                    SpendEvent built = event.setAttributes(new HashMap<>(kept)).build();
                    Violation v = rules.check(built, now.toEpochMilli());
                    if (v != null) {
                        rejected.add(new Rejected(traceId, spanId, v.rejection().code(), v.message()));
                    } else {
                        spend.add(built);
                    }
                }
            }
        }
        return new Mapped(spend, outcomes, rejected, ignored, unpriced);
    }

    private Rejected inference(SpanAttributes attributes, SpendEvent.Builder event, Map<String, String> kept, Map<String, Integer> unpriced,
            Instant at, String traceId, String spanId) {
        long input = count(attributes.whole(GenAi.INPUT_TOKENS));
        long output = count(attributes.whole(GenAi.OUTPUT_TOKENS));
        long cacheRead = count(attributes.whole(GenAi.CACHE_READ_TOKENS));
        long cacheWrite = count(attributes.whole(GenAi.CACHE_WRITE_TOKENS));
        if (input < 0 || output < 0 || cacheRead < 0 || cacheWrite < 0) {
            return new Rejected(traceId, spanId, "negative-amount", "a gen_ai.usage.* token count is negative");
        }
        String model = attributes.text(GenAi.RESPONSE_MODEL) != null ? attributes.text(GenAi.RESPONSE_MODEL) : attributes.text(GenAi.REQUEST_MODEL);
        String provider = attributes.text(GenAi.PROVIDER) != null ? attributes.text(GenAi.PROVIDER) : attributes.text(GenAi.SYSTEM);
        event.setKind(SpendKind.INFERENCE).setInputTokens(input).setOutputTokens(output).setModel(model).setTool(null);
        if (provider != null) {
            kept.put("provider", provider);
        }
        if (cacheRead > 0) {
            kept.put("cache_read_tokens", Long.toString(cacheRead));
        }
        if (cacheWrite > 0) {
            kept.put("cache_write_tokens", Long.toString(cacheWrite));
        }
        Long reported = reportedCost(attributes);
        if (reported == null && attributes.has(GenAi.COST)) {
            return new Rejected(traceId, spanId, "out-of-range", GenAi.COST + " is not a number of " + rules.currency());
        }
        String currency = attributes.text(GenAi.COST_CURRENCY);
        if (reported != null && currency != null && !currency.equalsIgnoreCase(rules.currency())) {
            return new Rejected(traceId, spanId, "currency-mismatch", GenAi.COST_CURRENCY + " is " + currency + " but this deployment"
                    + " counts in " + rules.currency() + " (asr.currency)");
        }
        if (reported != null) {
            event.setCostMicros(reported);
            kept.put("cost_source", "reported");
            return null;
        }
        Optional<PriceTable.Found> price = prices.find(provider, model, at);
        if (price.isPresent()) {
            event.setCostMicros(PriceTable.costMicros(price.get().price(), new Usage(Math.max(input, cacheRead + cacheWrite), output, cacheRead,
                    cacheWrite)));
            kept.put("cost_source", "priced");
            kept.put("price_source", price.get().source());
        } else {
            event.setCostMicros(0);
            kept.put("cost_source", "unpriced");
            unpriced.merge(model == null ? "(no model)" : model, 1, Integer::sum);
        }
        return null;
    }

    private Rejected tool(SpanAttributes attributes, SpendEvent.Builder event, Map<String, String> kept, String traceId, String spanId) {
        String name = attributes.text(GenAi.TOOL_NAME);
        event.setKind(SpendKind.TOOL_CALL).setInputTokens(0).setOutputTokens(0).setModel(null).setTool(name);
        Long reported = reportedCost(attributes);
        if (reported == null && attributes.has(GenAi.COST)) {
            return new Rejected(traceId, spanId, "out-of-range", GenAi.COST + " is not a number of " + rules.currency());
        }
        if (reported != null) {
            event.setCostMicros(reported);
            kept.put("cost_source", "reported");
            return null;
        }
        Optional<BigDecimal> perCall = prices.tool(name);
        event.setCostMicros(perCall.map(PriceTable::toolMicros).orElse(0L));
        kept.put("cost_source", perCall.isPresent() ? "priced" : "unpriced");
        return null;
    }

    /** The span's own cost in micros; null when it has none or it is not a number. */
    private static Long reportedCost(SpanAttributes attributes) {
        Double amount = attributes.number(GenAi.COST);
        if (amount == null || amount.isNaN() || amount.isInfinite() || Math.abs(amount) > 1e12) {
            return null;
        }
        return BigDecimal.valueOf(amount).movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValue();
    }

    private OutcomeEvent outcome(Span span, SpanAttributes attributes, String eventId, Agent agent, String fleet, Instant at) {
        String given = attributes.text(GenAi.OUTCOME);
        OutcomeStatus status;
        String source;
        if (given != null) {
            try {
                status = OutcomeStatus.valueOf(given.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                status = null;
            }
            source = "attribute";
            if (status == null) {
                return null;
            }
        } else if (settings.assumeOutcomes()) {
            status = span.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR ? OutcomeStatus.FAILED : OutcomeStatus.SUCCEEDED;
            source = "assumed";
        } else {
            return null;
        }
        Long value = attributes.whole(GenAi.VALUE_MICROS);
        Long humans = attributes.whole(GenAi.HUMAN_INTERVENTIONS);
        Map<String, String> kept = new HashMap<>();
        kept.put("outcome_source", source);
        kept.put("otel_trace_id", HEX.formatHex(span.getTraceId().toByteArray()));
        kept.put("otel_span_id", HEX.formatHex(span.getSpanId().toByteArray()));
        return OutcomeEvent.newBuilder().setEventId(eventId).setAgentId(agent.agentId()).setFleet(fleet).setTaskId(agent.taskId())
                .setStatus(status).setValueMicros(value == null ? 0 : value)
                .setHumanInterventions(humans == null ? 0 : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, humans)))
                .setOccurredAt(at).setAttributes(kept).build();
    }

    /** An invoke_agent span's own agent and task; null when it names no agent. */
    private Agent own(Span span, SpanAttributes attributes) {
        String id = agentId(attributes);
        if (id == null) {
            return null;
        }
        String conversation = settings.taskFromConversation() ? attributes.text(GenAi.CONVERSATION_ID) : null;
        return new Agent(id, conversation != null ? conversation
                : "otel-" + HEX.formatHex(span.getTraceId().toByteArray()) + "-" + HEX.formatHex(span.getSpanId().toByteArray()));
    }

    /**
     * The nearest invoke_agent span above {@code span} in this request, as an agent and task; null
     * when none names one. What each parent resolves to is remembered for the request ({@code
     * known}), so a request of long parent chains costs one walk per span, not one per ancestor.
     */
    private Agent ancestor(Span span, Map<ByteString, Span> byId, Map<ByteString, Agent> known) {
        List<ByteString> walked = new ArrayList<>();
        Agent found = NO_AGENT;
        Span current = span;
        for (int depth = 0; depth < MAX_DEPTH && !current.getParentSpanId().isEmpty(); depth++) {
            ByteString parentKey = key(current.getTraceId(), current.getParentSpanId());
            Agent before = known.get(parentKey);
            if (before != null) {
                found = before;
                break;
            }
            Span parent = byId.get(parentKey);
            if (parent == null) {
                break;
            }
            walked.add(parentKey);
            SpanAttributes attributes = SpanAttributes.of(parent.getAttributesList());
            if (GenAi.INVOKE_AGENT.equalsIgnoreCase(attributes.text(GenAi.OPERATION))) {
                Agent agent = own(parent, attributes);
                if (agent != null) {
                    found = agent;
                    break;
                }
            }
            current = parent;
        }
        // Every span walked past resolves to what was found above it (a parent that is itself an agent span resolves to itself).
        for (ByteString walkedKey : walked) {
            known.putIfAbsent(walkedKey, found);
        }
        return found == NO_AGENT ? null : found;
    }

    private static String agentId(SpanAttributes attributes) {
        return attributes.text(GenAi.AGENT_ID) != null ? attributes.text(GenAi.AGENT_ID) : attributes.text(GenAi.AGENT_NAME);
    }

    private static ByteString key(ByteString traceId, ByteString spanId) {
        return traceId.concat(spanId);
    }

    private static long count(Long value) {
        return value == null ? 0 : value;
    }
}
