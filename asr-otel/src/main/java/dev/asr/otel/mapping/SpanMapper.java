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
import java.util.concurrent.ConcurrentHashMap;
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
 *       from the nearest {@code invoke_agent} ancestor: in the request, else one an earlier request
 *       held ({@link Ancestry}). A span whose parent chain leaves the request at a span not seen yet
 *       is {@link Waiting} for it (children usually end, and are exported, before their parent);
 *       {@link #settle} maps it once its agent is known. A chain that ends at a root with no agent
 *       span falls back to the span's own attributes (spend then serves no task); a GenAI span with
 *       neither is rejected ({@code no-agent}). Fleet from the resource's {@code asr.fleet} (which
 *       the token must grant), else the token's one fleet.
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

    /**
     * A GenAI span whose agent is not known yet: its parent chain leaves the request at {@code
     * awaits}, a span this receiver has not seen.
     *
     * @param key the span's own key ({@link Ancestry#key})
     * @param awaits the key of the span it waits for
     * @param fleet the fleet it reports to, already checked against the sender's token
     */
    public record Waiting(ByteString key, ByteString awaits, String fleet, Span span) {

        public Waiting awaiting(ByteString other) {
            return new Waiting(key, other, fleet, span);
        }

        public String traceId() {
            return hex(span.getTraceId());
        }

        public String spanId() {
            return hex(span.getSpanId());
        }
    }

    /** A waiting span and the agent found for it: null when none will come (it falls back to its own attributes). */
    public record Found(Waiting span, AgentRef agent) {}

    /**
     * What one request maps to.
     *
     * @param waiting GenAI spans whose agent is not known yet
     * @param resolved the spans of the request found to work for an agent that later requests' spans may
     *     have as parent: agent spans, tool spans, the spans walked through to reach an agent, awaited spans
     * @param forwarded spans others were waiting for that wait themselves: the key of the span they now wait
     *     for, or {@link ByteString#EMPTY} when their chain ends with no agent span
     */
    public record Mapped(List<SpendEvent> spend, List<OutcomeEvent> outcomes, List<Rejected> rejected, int ignored,
            Map<String, Integer> unpricedByModel, List<Waiting> waiting, Map<ByteString, AgentRef> resolved,
            Map<ByteString, ByteString> forwarded) {}

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

    private enum Kind { INFERENCE, TOOL, AGENT, OTHER }

    private static Kind kind(SpanAttributes attributes) {
        String operation = attributes.text(GenAi.OPERATION);
        if (operation == null) {
            return Kind.OTHER;
        }
        if (GenAi.INFERENCE.contains(operation.toLowerCase(Locale.ROOT))) {
            return Kind.INFERENCE;
        }
        if (GenAi.EXECUTE_TOOL.equalsIgnoreCase(operation)) {
            return Kind.TOOL;
        }
        return GenAi.INVOKE_AGENT.equalsIgnoreCase(operation) ? Kind.AGENT : Kind.OTHER;
    }

    /** Where a span's parent chain led: an agent, a span not seen yet ({@code awaits}), or neither (a root with no agent). */
    private record Resolution(AgentRef agent, ByteString awaits) {}

    private static final Resolution NO_AGENT = new Resolution(null, null);

    /** What a request or a settlement adds up to, as it is mapped. */
    private static final class Collected {
        final List<SpendEvent> spend = new ArrayList<>();
        final List<OutcomeEvent> outcomes = new ArrayList<>();
        final List<Rejected> rejected = new ArrayList<>();
        final Map<String, Integer> unpriced = new TreeMap<>();
        final List<Waiting> waiting = new ArrayList<>();
        final Map<ByteString, AgentRef> resolved = new HashMap<>();
        final Map<ByteString, ByteString> forwarded = new HashMap<>();
        int ignored;

        Mapped mapped() {
            return new Mapped(spend, outcomes, rejected, ignored, unpriced, waiting, resolved, forwarded);
        }
    }

    /** One request standing alone: nothing remembered from earlier ones. */
    public Mapped map(ExportTraceServiceRequest request, Sender sender, Instant now) {
        return map(request, sender, now, Ancestry.NONE);
    }

    public Mapped map(ExportTraceServiceRequest request, Sender sender, Instant now, Ancestry ancestry) {
        Collected out = new Collected();
        Map<ByteString, Span> byId = new HashMap<>();
        Map<ByteString, Resolution> known = new HashMap<>();
        for (ResourceSpans resource : request.getResourceSpansList()) {
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    byId.putIfAbsent(Ancestry.key(span.getTraceId(), span.getSpanId()), span);
                }
            }
        }
        for (ResourceSpans resource : request.getResourceSpansList()) {
            SpanAttributes resourceAttributes = SpanAttributes.of(resource.getResource().getAttributesList());
            String named = resourceAttributes.text(GenAi.FLEET);
            for (ScopeSpans scope : resource.getScopeSpansList()) {
                for (Span span : scope.getSpansList()) {
                    SpanAttributes attributes = SpanAttributes.of(span.getAttributesList());
                    Kind kind = kind(attributes);
                    ByteString key = Ancestry.key(span.getTraceId(), span.getSpanId());
                    if (kind == Kind.OTHER) {
                        out.ignored++;
                        if (ancestry.awaited(key)) {
                            forward(key, ancestor(span, byId, known, ancestry, out.resolved), out);
                        }
                        continue;
                    }
                    String fleet = named != null ? named : sender.onlyFleet();
                    if (fleet == null) {
                        out.rejected.add(new Rejected(hex(span.getTraceId()), hex(span.getSpanId()), "no-fleet", "the resource names no fleet (resource attribute asr.fleet)"
                                + " and the token is granted several: set asr.fleet, or use a token of one fleet"));
                        continue;
                    }
                    if (!sender.mayWrite().test(fleet)) {
                        out.rejected.add(new Rejected(hex(span.getTraceId()), hex(span.getSpanId()), "fleet-not-granted", "this token may not write fleet " + fleet
                                + " (resource attribute asr.fleet): use a token granted that fleet"));
                        continue;
                    }
                    Resolution resolution;
                    if (kind == Kind.AGENT) {
                        AgentRef own = own(span, attributes);
                        resolution = own == null ? NO_AGENT : new Resolution(own, null);
                        if (own != null) {
                            out.resolved.put(key, own);
                            known.put(key, resolution);
                        }
                    } else {
                        resolution = ancestor(span, byId, known, ancestry, out.resolved);
                    }
                    if (ancestry.awaited(key)) {
                        forward(key, resolution, out);
                    }
                    if (resolution.awaits() != null) {
                        out.waiting.add(new Waiting(key, resolution.awaits(), fleet, span));
                        continue;
                    }
                    AgentRef agent = resolution.agent();
                    if (agent != null && kind == Kind.TOOL) {
                        // A tool may call models or agents whose spans come later; a model call has no children to wait for.
                        out.resolved.put(key, agent);
                    }
                    emit(span, attributes, kind, fleet, agent, now, out);
                }
            }
        }
        return out.mapped();
    }

    /**
     * Spans that waited, mapped now that their agent is known; one with no agent ({@link
     * Found#agent()} null) is mapped by its own attributes, or rejected {@code no-agent}.
     */
    public Mapped settle(List<Found> found, Instant now) {
        Collected out = new Collected();
        for (Found one : found) {
            Span span = one.span().span();
            SpanAttributes attributes = SpanAttributes.of(span.getAttributesList());
            emit(span, attributes, kind(attributes), one.span().fleet(), one.agent(), now, out);
        }
        return out.mapped();
    }

    /** An awaited span of this request: what the spans waiting for it now resolve to, or wait for. */
    private static void forward(ByteString key, Resolution resolution, Collected out) {
        if (resolution.agent() != null) {
            out.resolved.put(key, resolution.agent());
        } else {
            out.forwarded.put(key, resolution.awaits() != null ? resolution.awaits() : ByteString.EMPTY);
        }
    }

    /** One GenAI span whose agent is settled ({@code agent} null: none above it, so its own attributes name it or it is rejected). */
    private void emit(Span span, SpanAttributes attributes, Kind kind, String fleet, AgentRef agent, Instant now, Collected out) {
        String traceId = hex(span.getTraceId());
        String spanId = hex(span.getSpanId());
        if (agent == null && kind != Kind.AGENT) {
            String id = agentId(attributes);
            agent = id == null ? null : new AgentRef(id, null);
        }
        if (agent == null) {
            out.rejected.add(new Rejected(traceId, spanId, "no-agent", "no gen_ai.agent.id or gen_ai.agent.name on the span or an"
                    + " invoke_agent span above it: name the agent"));
            return;
        }
        String eventId = "otel-" + traceId + "-" + spanId;
        Instant at = Instant.ofEpochMilli(span.getEndTimeUnixNano() / 1_000_000);
        if (kind == Kind.AGENT) {
            OutcomeEvent outcome = outcome(span, attributes, eventId, agent, fleet, at);
            if (outcome == null) {
                out.ignored++;
                return;
            }
            Violation v = rules.check(outcome, now.toEpochMilli());
            if (v != null) {
                out.rejected.add(new Rejected(traceId, spanId, v.rejection().code(), v.message()));
            } else {
                out.outcomes.add(outcome);
            }
            return;
        }
        // The trace and span ids are in the event id (otel-<trace id>-<span id>): not repeated in the attributes.
        Map<String, String> kept = new LinkedHashMap<>();
        SpendEvent.Builder event = SpendEvent.newBuilder().setEventId(eventId).setAgentId(agent.agentId()).setFleet(fleet)
                .setTaskId(agent.taskId()).setCurrency(rules.currency()).setOccurredAt(at).setAuthorizationId(null);
        Rejected refused = kind == Kind.INFERENCE ? inference(attributes, event, kept, out.unpriced, at, traceId, spanId)
                : tool(attributes, event, kept, traceId, spanId);
        if (refused != null) {
            out.rejected.add(refused);
            return;
        }
        SpendEvent built = event.setAttributes(new HashMap<>(kept)).build();
        Violation v = rules.check(built, now.toEpochMilli());
        if (v != null) {
            out.rejected.add(new Rejected(traceId, spanId, v.rejection().code(), v.message()));
        } else {
            out.spend.add(built);
        }
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
        Optional<PriceTable.Found> price = price(provider, model, at);
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

    /** What a provider, model and UTC day were priced at, remembered: a request holds many calls to few models. */
    private record PriceKey(String provider, String model, long day) {}

    private static final int MAX_REMEMBERED_PRICES = 10_000;
    private final Map<PriceKey, Optional<PriceTable.Found>> priced = new ConcurrentHashMap<>();

    private Optional<PriceTable.Found> price(String provider, String model, Instant at) {
        PriceKey key = new PriceKey(provider, model, Math.floorDiv(at.getEpochSecond(), 86_400));
        Optional<PriceTable.Found> found = priced.get(key);
        if (found == null) {
            if (priced.size() >= MAX_REMEMBERED_PRICES) {
                priced.clear(); // many distinct names (a client inventing models): start over rather than grow
            }
            found = prices.find(provider, model, at);
            priced.put(key, found);
        }
        return found;
    }

    /** The span's own cost in micros; null when it has none or it is not a number. */
    private static Long reportedCost(SpanAttributes attributes) {
        Double amount = attributes.number(GenAi.COST);
        if (amount == null || amount.isNaN() || amount.isInfinite() || Math.abs(amount) > 1e12) {
            return null;
        }
        return BigDecimal.valueOf(amount).movePointRight(6).setScale(0, RoundingMode.HALF_UP).longValue();
    }

    private OutcomeEvent outcome(Span span, SpanAttributes attributes, String eventId, AgentRef agent, String fleet, Instant at) {
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
        return OutcomeEvent.newBuilder().setEventId(eventId).setAgentId(agent.agentId()).setFleet(fleet).setTaskId(agent.taskId())
                .setStatus(status).setValueMicros(value == null ? 0 : value)
                .setHumanInterventions(humans == null ? 0 : (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, humans)))
                .setOccurredAt(at).setAttributes(kept).build();
    }

    /** An invoke_agent span's own agent and task; null when it names no agent. */
    private AgentRef own(Span span, SpanAttributes attributes) {
        String id = agentId(attributes);
        if (id == null) {
            return null;
        }
        String conversation = settings.taskFromConversation() ? attributes.text(GenAi.CONVERSATION_ID) : null;
        return new AgentRef(id, conversation != null ? conversation
                : "otel-" + hex(span.getTraceId()) + "-" + hex(span.getSpanId()));
    }

    /**
     * The nearest invoke_agent span above {@code span}: in this request, else one an earlier request
     * held ({@code ancestry}); or the span the chain leaves the request at, when nothing is known of
     * it. What each parent resolves to is remembered for the request ({@code known}), so a request
     * of long parent chains costs one walk per span, not one per ancestor; those found to work for an
     * agent are added to {@code resolved}.
     */
    private Resolution ancestor(Span span, Map<ByteString, Span> byId, Map<ByteString, Resolution> known, Ancestry ancestry,
            Map<ByteString, AgentRef> resolved) {
        List<ByteString> walked = new ArrayList<>();
        Resolution found = NO_AGENT;
        Span current = span;
        for (int depth = 0; depth < MAX_DEPTH && !current.getParentSpanId().isEmpty(); depth++) {
            ByteString parentKey = Ancestry.key(current.getTraceId(), current.getParentSpanId());
            Resolution before = known.get(parentKey);
            if (before != null) {
                found = before;
                break;
            }
            Span parent = byId.get(parentKey);
            if (parent == null) {
                AgentRef remembered = ancestry.agentOf(parentKey);
                found = remembered != null ? new Resolution(remembered, null) : new Resolution(null, parentKey);
                break;
            }
            walked.add(parentKey);
            SpanAttributes attributes = SpanAttributes.of(parent.getAttributesList());
            if (GenAi.INVOKE_AGENT.equalsIgnoreCase(attributes.text(GenAi.OPERATION))) {
                AgentRef agent = own(parent, attributes);
                if (agent != null) {
                    found = new Resolution(agent, null);
                    break;
                }
            }
            current = parent;
        }
        // Every span walked past resolves to what was found above it (a parent that is itself an agent span resolves to itself).
        for (ByteString walkedKey : walked) {
            known.putIfAbsent(walkedKey, found);
            if (found.agent() != null) {
                resolved.putIfAbsent(walkedKey, found.agent());
            }
        }
        return found;
    }

    private static String agentId(SpanAttributes attributes) {
        return attributes.text(GenAi.AGENT_ID) != null ? attributes.text(GenAi.AGENT_ID) : attributes.text(GenAi.AGENT_NAME);
    }

    /** An id as OTLP/JSON and the event ids write it: lower-case hex. */
    private static String hex(ByteString id) {
        byte[] bytes = id.toByteArray();
        return HEX.formatHex(bytes);
    }

    private static long count(Long value) {
        return value == null ? 0 : value;
    }
}
