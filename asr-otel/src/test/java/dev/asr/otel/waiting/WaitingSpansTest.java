package dev.asr.otel.waiting;

import static dev.asr.otel.mapping.TestSpans.NOW;
import static dev.asr.otel.mapping.TestSpans.PRICES;
import static dev.asr.otel.mapping.TestSpans.TASK;
import static dev.asr.otel.mapping.TestSpans.TRADING;
import static dev.asr.otel.mapping.TestSpans.key;
import static dev.asr.otel.mapping.TestSpans.request;
import static dev.asr.otel.mapping.TestSpans.span;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.asr.event.SpendEvent;
import dev.asr.otel.mapping.AgentRef;
import dev.asr.otel.mapping.SpanMapper;
import dev.asr.otel.mapping.SpanMapper.Found;
import dev.asr.schemas.rules.EventRules;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Identity across requests (contract §10): children before their agent span, after it, through a
 * span of a third request, and what happens when none comes — with the mapping itself, one
 * request at a time, as the gateway drives them.
 */
class WaitingSpansTest {

    private static final long T0 = NOW.toEpochMilli();
    private static final Span AGENT = span(1, 0, "gen_ai.operation.name", "invoke_agent", "gen_ai.agent.id", "bot-1");
    private static final Span CHAT = span(2, 1, "gen_ai.operation.name", "chat", "gen_ai.request.model", "gpt-4o",
            "gen_ai.usage.input_tokens", 100, "gen_ai.usage.output_tokens", 10);

    private final SpanMapper mapper = new SpanMapper(PRICES, EventRules.defaults(), SpanMapper.Settings.defaults());
    private final WaitingSpans waiting = new WaitingSpans(Duration.ofMinutes(10), 1_000, 100, 1 << 20);

    /** One request through the mapping and the waiting spans, as the gateway does it: what it emits, settled spans included. */
    private List<SpendEvent> send(long atMs, Span... spans) {
        SpanMapper.Mapped mapped = mapper.map(request(spans), TRADING, NOW, waiting);
        WaitingSpans.Applied applied = waiting.apply(mapped, atMs);
        List<SpendEvent> spend = new ArrayList<>(mapped.spend());
        spend.addAll(mapper.settle(applied.settled(), NOW).spend());
        spend.addAll(mapper.settle(applied.claimed().stream().map(WaitingSpans.Claimed::found).toList(), NOW).spend());
        return spend;
    }

    @Test
    void aChildBeforeItsAgentSpanWaitsAndIsSettledWithItsTaskWhenItComes() {
        SpanMapper.Mapped first = mapper.map(request(CHAT), TRADING, NOW, waiting);
        assertThat(first.spend()).isEmpty();
        assertThat(first.rejected()).as("waiting is not refusing").isEmpty();
        assertThat(first.waiting()).singleElement().satisfies(w -> assertThat(w.awaits()).isEqualTo(key(1)));
        WaitingSpans.Applied parked = waiting.apply(first, T0);
        assertThat(parked.parked()).hasSize(1);
        assertThat(waiting.awaited(key(1))).isTrue();

        List<SpendEvent> later = send(T0 + 5_000, AGENT);

        assertThat(later).singleElement().satisfies(e -> {
            assertThat(e.getAgentId()).isEqualTo("bot-1");
            assertThat(e.getTaskId()).isEqualTo(TASK);
            assertThat(e.getEventId()).isEqualTo("otel-0102030405060708090a0b0c0d0e0f10-0000000000000002");
            assertThat(e.getCostMicros()).as("100 × 2.50 + 10 × 10").isEqualTo(350);
        });
        assertThat(waiting.waiting()).isZero();
        assertThat(waiting.awaited(key(1))).isFalse();
    }

    @Test
    void aChildAfterItsAgentSpanInheritsTheRememberedAgent() {
        assertThat(send(T0, AGENT)).isEmpty();
        assertThat(waiting.agentOf(key(1))).isEqualTo(new AgentRef("bot-1", TASK));

        assertThat(send(T0 + 1_000, CHAT)).singleElement().satisfies(e -> assertThat(e.getTaskId()).isEqualTo(TASK));
        assertThat(waiting.waiting()).isZero();
    }

    @Test
    void aGrandchildAfterItsAgentIsFoundThroughTheParentItCameWith() {
        Span tool = span(3, 1, "gen_ai.operation.name", "execute_tool", "gen_ai.tool.name", "web_search");
        send(T0, AGENT, tool);
        Span underTool = span(4, 3, "gen_ai.operation.name", "chat", "gen_ai.request.model", "gpt-4o", "gen_ai.usage.input_tokens", 1);
        assertThat(send(T0 + 1_000, underTool)).singleElement().satisfies(e -> assertThat(e.getTaskId()).isEqualTo(TASK));
    }

    @Test
    void aChainThroughASpanOfAThirdRequestIsFollowedToTheAgent() {
        Span chat = span(3, 2, "gen_ai.operation.name", "chat", "gen_ai.request.model", "gpt-4o", "gen_ai.usage.input_tokens", 1);
        Span framework = span(2, 1, "http.route", "/run");
        assertThat(send(T0, chat)).isEmpty();

        WaitingSpans.Applied moved = waiting.apply(mapper.map(request(framework), TRADING, NOW, waiting), T0 + 1_000);
        assertThat(moved.parked()).as("a span that is not GenAI does not wait itself").isEmpty();
        assertThat(moved.moved()).singleElement().satisfies(p -> {
            assertThat(p.span().awaits()).isEqualTo(key(1));
            assertThat(p.sinceMs()).as("it keeps its place").isEqualTo(T0);
        });
        assertThat(waiting.awaited(key(2))).isFalse();
        assertThat(waiting.awaited(key(1))).as("the chat now waits for the framework span's parent").isTrue();

        assertThat(send(T0 + 2_000, AGENT)).singleElement().satisfies(e -> assertThat(e.getTaskId()).isEqualTo(TASK));
    }

    @Test
    void aChainEndingAtARootWithNoAgentSpanSettlesByTheSpansOwnAttributesAtOnce() {
        Span named = span(3, 2, "gen_ai.operation.name", "chat", "gen_ai.agent.name", "solo", "gen_ai.request.model", "gpt-4o");
        assertThat(send(T0, named)).isEmpty();

        assertThat(send(T0 + 1_000, span(2, 0, "http.route", "/run"))).singleElement().satisfies(e -> {
            assertThat(e.getAgentId()).isEqualTo("solo");
            assertThat(e.getTaskId()).as("no agent span: spend that serves no task").isNull();
        });
    }

    @Test
    void anAgentNamedWhileAChildWasBeingMappedIsFoundWhenTheChildIsParked() {
        // Two requests mapped at the same time: the child's found no agent, then the agent's was applied first.
        SpanMapper.Mapped child = mapper.map(request(CHAT), TRADING, NOW, waiting);
        send(T0, AGENT);
        WaitingSpans.Applied applied = waiting.apply(child, T0);

        assertThat(applied.parked()).isEmpty();
        assertThat(mapper.settle(applied.settled(), NOW).spend()).singleElement()
                .satisfies(e -> assertThat(e.getTaskId()).isEqualTo(TASK));
    }

    @Test
    void aSpanGivenUpOnAfterTheWaitIsHandedBackWithNoAgentAndAResentOneKeepsItsPlace() {
        send(T0, CHAT);
        send(T0 + 60_000, CHAT);
        assertThat(waiting.waiting()).as("a resent span replaces itself").isOne();

        assertThat(waiting.expire(T0 + Duration.ofMinutes(10).toMillis() - 1)).isEmpty();
        List<WaitingSpans.Parked> expired = waiting.expire(T0 + Duration.ofMinutes(10).toMillis());
        assertThat(expired).singleElement().satisfies(p -> assertThat(p.sinceMs()).as("kept its first place").isEqualTo(T0));
        assertThat(waiting.waiting()).isZero();
        assertThat(waiting.waitingBytes()).isZero();
        assertThat(mapper.settle(List.of(new Found(expired.get(0).span(), null)), NOW).rejected()).singleElement()
                .satisfies(r -> assertThat(r.reason()).isEqualTo("no-agent"));
    }

    @Test
    void pastItsCapsASpanIsRefusedRoomAndAgentsAreForgottenOldestFirst() {
        WaitingSpans small = new WaitingSpans(Duration.ofMinutes(10), 2, 1, 1 << 20);
        Span other = span(5, 4, "gen_ai.operation.name", "chat", "gen_ai.request.model", "gpt-4o");
        WaitingSpans.Applied first = small.apply(mapper.map(request(CHAT), TRADING, NOW, small), T0);
        WaitingSpans.Applied second = small.apply(mapper.map(request(other), TRADING, NOW, small), T0);
        assertThat(first.parked()).hasSize(1);
        assertThat(second.refused()).as("one span may wait").hasSize(1);

        for (int agent = 10; agent < 13; agent++) {
            small.apply(mapper.map(request(span(agent, 0, "gen_ai.operation.name", "invoke_agent", "gen_ai.agent.id", "a" + agent)),
                    TRADING, NOW, small), T0 + agent);
        }
        assertThat(small.remembered()).isEqualTo(2);
        assertThat(small.agentOf(key(10))).as("the oldest forgotten").isNull();
        assertThat(small.agentOf(key(12))).isNotNull();
        assertThat(small.expire(T0 + Duration.ofMinutes(11).toMillis())).hasSize(1);
        assertThat(small.remembered()).as("and every one past the wait").isZero();
    }

    @Test
    void spansTakenOutWhoseEventsCouldNotBeWrittenWaitAgain() {
        send(T0, CHAT);
        WaitingSpans.Applied applied = waiting.apply(mapper.map(request(AGENT), TRADING, NOW, waiting), T0 + 1_000);
        assertThat(applied.claimed()).hasSize(1);
        assertThat(waiting.waiting()).isZero();

        waiting.putBack(applied.claimed().stream().map(WaitingSpans.Claimed::parked).toList());

        assertThat(waiting.waiting()).isOne();
        assertThat(send(T0 + 2_000, AGENT)).as("the resent request settles it").hasSize(1);
    }

    @Test
    void aParkedSpanSurvivesItsRecordAndARestoredOneIsReleasedByItsTombstone() {
        send(T0, CHAT);
        WaitingSpans.Parked parked = waiting.expire(Long.MAX_VALUE).get(0);
        byte[] value = WaitingRecord.value(parked.span());
        String recordKey = WaitingRecord.key(parked.span().key());
        assertThat(recordKey).isEqualTo("0102030405060708090a0b0c0d0e0f10-0000000000000002");

        WaitingSpans restarted = new WaitingSpans(Duration.ofMinutes(10), 1_000, 100, 1 << 20);
        restarted.restore(WaitingRecord.read(value, WaitingRecord.fleet(parked.span()), WaitingRecord.awaits(parked.span())), T0);
        assertThat(restarted.awaited(key(1))).isTrue();
        assertThat(restarted.apply(mapper.map(request(AGENT), TRADING, NOW, restarted), T0).claimed()).singleElement()
                .satisfies(c -> assertThat(c.parked().span().span()).isEqualTo(CHAT));

        restarted.restore(WaitingRecord.read(value, WaitingRecord.fleet(parked.span()), WaitingRecord.awaits(parked.span())), T0);
        restarted.released(WaitingRecord.spanKey(recordKey.getBytes(StandardCharsets.UTF_8)));
        assertThat(restarted.waiting()).isZero();
        assertThat(WaitingRecord.spanKey("not hex".getBytes(StandardCharsets.UTF_8))).isEqualTo(ByteString.EMPTY);
    }
}
