package dev.asr.otel.mapping;

import static dev.asr.otel.mapping.TestSpans.END;
import static dev.asr.otel.mapping.TestSpans.NOW;
import static dev.asr.otel.mapping.TestSpans.PRICES;
import static dev.asr.otel.mapping.TestSpans.TASK;
import static dev.asr.otel.mapping.TestSpans.TRADING;
import static dev.asr.otel.mapping.TestSpans.request;
import static dev.asr.otel.mapping.TestSpans.run;
import static dev.asr.otel.mapping.TestSpans.span;
import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import dev.asr.schemas.rules.EventRules;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The mapping of contract §10 on hand-built spans, every cost worked out by hand (micros = tokens × price per million). */
class SpanMapperTest {

    private final SpanMapper mapper = new SpanMapper(PRICES, EventRules.defaults(), SpanMapper.Settings.defaults());

    @Test
    void anAgentRunBecomesATaskWithItsChildrensSpendPricedFromTheTable() {
        SpanMapper.Mapped mapped = mapper.map(request(run()), TRADING, NOW);

        assertThat(mapped.rejected()).isEmpty();
        assertThat(mapped.spend()).hasSize(3).allSatisfy(e -> {
            assertThat(e.getAgentId()).isEqualTo("bot-1");
            assertThat(e.getFleet()).isEqualTo("trading");
            assertThat(e.getTaskId()).as("the invoke_agent span's task, also two levels down").isEqualTo(TASK);
            assertThat(e.getOccurredAt()).isEqualTo(Instant.ofEpochMilli(END / 1_000_000));
        });
        SpendEvent chat = mapped.spend().get(0);
        assertThat(chat.getKind()).isEqualTo(SpendKind.INFERENCE);
        assertThat(chat.getEventId()).isEqualTo("otel-0102030405060708090a0b0c0d0e0f10-0000000000000002");
        // 600 plain input × 2.50 + 400 cache reads × 1.25 + 200 output × 10
        assertThat(chat.getCostMicros()).isEqualTo(1_500 + 500 + 2_000);
        assertThat(chat.getInputTokens()).isEqualTo(1_000);
        assertThat(chat.getModel()).isEqualTo("gpt-4o");
        assertThat(chat.getAttributes()).containsEntry("cost_source", "priced").containsEntry("cache_read_tokens", "400")
                .containsEntry("provider", "openai");
        SpendEvent tool = mapped.spend().get(1);
        assertThat(tool.getKind()).isEqualTo(SpendKind.TOOL_CALL);
        assertThat(tool.getTool()).isEqualTo("web_search");
        assertThat(tool.getCostMicros()).as("0.01 per call").isEqualTo(10_000);
        // the request model when there is no response model: 100 × 2.50 + 10 × 10
        assertThat(mapped.spend().get(2).getCostMicros()).isEqualTo(250 + 100);

        OutcomeEvent outcome = mapped.outcomes().get(0);
        assertThat(outcome.getTaskId()).isEqualTo(TASK);
        assertThat(outcome.getStatus()).as("status UNSET, assumed").isEqualTo(OutcomeStatus.SUCCEEDED);
        assertThat(outcome.getAttributes()).containsEntry("outcome_source", "assumed");
    }

    @Test
    void aSpansOwnCostIsUsedAsReportedAndAnUnknownModelIsUnpricedAndCounted() {
        SpanMapper.Mapped mapped = mapper.map(request(
                span(1, 0, "gen_ai.operation.name", "invoke_agent", "gen_ai.agent.name", "named-bot"),
                span(2, 1, "gen_ai.operation.name", "chat", "gen_ai.response.model", "gpt-4o", "gen_ai.usage.input_tokens", 1_000,
                        "gen_ai.usage.cost.amount", 0.0123),
                span(3, 1, "gen_ai.operation.name", "chat", "gen_ai.response.model", "my-fine-tune", "gen_ai.usage.input_tokens", 50),
                span(4, 1, "gen_ai.operation.name", "embeddings", "gen_ai.response.model", "my-fine-tune", "gen_ai.usage.input_tokens", 5),
                span(5, 1, "gen_ai.operation.name", "execute_tool", "gen_ai.tool.name", "calculator")), TRADING, NOW);

        assertThat(mapped.spend()).extracting(SpendEvent::getAgentId).containsOnly("named-bot");
        assertThat(mapped.spend().get(0).getCostMicros()).isEqualTo(12_300);
        assertThat(mapped.spend().get(0).getAttributes()).containsEntry("cost_source", "reported");
        assertThat(mapped.spend().get(1).getCostMicros()).isZero();
        assertThat(mapped.spend().get(1).getInputTokens()).as("tokens kept").isEqualTo(50);
        assertThat(mapped.spend().get(1).getAttributes()).containsEntry("cost_source", "unpriced");
        assertThat(mapped.unpricedByModel()).containsExactly(Map.entry("my-fine-tune", 2));
        assertThat(mapped.spend().get(3).getCostMicros()).as("a tool with no price still counts as an action").isZero();
        assertThat(mapped.spend().get(3).getKind()).isEqualTo(SpendKind.TOOL_CALL);
    }

    @Test
    void theOutcomeComesFromAsrAttributesElseFromTheStatusMarkedAssumed() {
        OutcomeEvent given = mapper.map(request(span(1, 0, "gen_ai.operation.name", "invoke_agent", "gen_ai.agent.id", "bot-1",
                "asr.outcome", "abandoned", "asr.value_micros", 2_500_000, "asr.human_interventions", 2)), TRADING, NOW).outcomes().get(0);
        assertThat(given.getStatus()).isEqualTo(OutcomeStatus.ABANDONED);
        assertThat(given.getValueMicros()).isEqualTo(2_500_000);
        assertThat(given.getHumanInterventions()).isEqualTo(2);
        assertThat(given.getAttributes()).containsEntry("outcome_source", "attribute");

        OutcomeEvent failed = mapper.map(request(span(1, 0, Status.StatusCode.STATUS_CODE_ERROR, "gen_ai.operation.name", "invoke_agent",
                "gen_ai.agent.id", "bot-1")), TRADING, NOW).outcomes().get(0);
        assertThat(failed.getStatus()).isEqualTo(OutcomeStatus.FAILED);
        assertThat(failed.getAttributes()).containsEntry("outcome_source", "assumed");

        SpanMapper strict = new SpanMapper(PRICES, EventRules.defaults(), new SpanMapper.Settings(false, false));
        SpanMapper.Mapped none = strict.map(request(span(1, 0, Status.StatusCode.STATUS_CODE_OK, "gen_ai.operation.name", "invoke_agent",
                "gen_ai.agent.id", "bot-1")), TRADING, NOW);
        assertThat(none.outcomes()).as("not assumed: the task stays open until asr.outcome or its timeout").isEmpty();
    }

    @Test
    void theConversationIdIsTheTaskWhenSoSet() {
        SpanMapper byConversation = new SpanMapper(PRICES, EventRules.defaults(), new SpanMapper.Settings(true, true));
        SpanMapper.Mapped mapped = byConversation.map(request(run("gen_ai.conversation.id", "conv-7")), TRADING, NOW);
        assertThat(mapped.outcomes().get(0).getTaskId()).isEqualTo("conv-7");
        assertThat(mapped.spend()).extracting(SpendEvent::getTaskId).containsOnly("conv-7");
    }

    @Test
    void theNearestAgentAboveASpanIsItsAgent() {
        SpanMapper.Mapped mapped = mapper.map(request(
                span(1, 0, "gen_ai.operation.name", "invoke_agent", "gen_ai.agent.id", "planner"),
                span(2, 1, "gen_ai.operation.name", "invoke_agent", "gen_ai.agent.id", "researcher"),
                span(3, 2, "gen_ai.operation.name", "chat", "gen_ai.response.model", "gpt-4o", "gen_ai.usage.input_tokens", 10)), TRADING, NOW);
        assertThat(mapped.spend()).singleElement().satisfies(e -> {
            assertThat(e.getAgentId()).isEqualTo("researcher");
            assertThat(e.getTaskId()).endsWith("-0000000000000002");
        });
        assertThat(mapped.outcomes()).extracting(OutcomeEvent::getAgentId).containsExactly("planner", "researcher");
    }

    @Test
    void aLongChainUnderOneAgentResolvesEverySpanToItWithOneWalkEach() {
        List<Span> chain = new ArrayList<>();
        chain.add(span(1, 0, "gen_ai.operation.name", "invoke_agent", "gen_ai.agent.id", "deep"));
        for (int i = 2; i <= 200; i++) {
            chain.add(span(i, i - 1, "gen_ai.operation.name", i % 2 == 0 ? "execute_tool" : "chat", "gen_ai.response.model", "gpt-4o"));
        }
        SpanMapper.Mapped mapped = mapper.map(request(chain.toArray(Span[]::new)), TRADING, NOW);
        assertThat(mapped.rejected()).isEmpty();
        assertThat(mapped.spend()).hasSize(199).allSatisfy(e -> {
            assertThat(e.getAgentId()).isEqualTo("deep");
            assertThat(e.getTaskId()).endsWith("-0000000000000001");
        });
    }

    @Test
    void aGenAiSpanWithNoAgentIsRejectedWithItsReasonAndOthersAreIgnoredAndCounted() {
        SpanMapper.Mapped mapped = mapper.map(request(
                span(2, 0, "gen_ai.operation.name", "chat", "gen_ai.response.model", "gpt-4o"),
                span(3, 0, "http.method", "GET"),
                span(4, 0, "gen_ai.operation.name", "create_agent", "gen_ai.agent.id", "bot-1"),
                span(5, 0, "gen_ai.operation.name", "chat", "gen_ai.agent.id", "solo", "gen_ai.response.model", "gpt-4o")), TRADING, NOW);
        assertThat(mapped.rejected()).singleElement().satisfies(r -> {
            assertThat(r.reason()).isEqualTo("no-agent");
            assertThat(r.spanId()).isEqualTo("0000000000000002");
            assertThat(r.message()).contains("gen_ai.agent.id");
        });
        assertThat(mapped.ignored()).as("the HTTP span and create_agent").isEqualTo(2);
        assertThat(mapped.spend()).singleElement().satisfies(e -> {
            assertThat(e.getAgentId()).as("its own agent attribute").isEqualTo("solo");
            assertThat(e.getTaskId()).as("no agent span above: spend that serves no task").isNull();
        });
    }

    @Test
    void theFleetIsTheResourcesIfTheTokenGrantsItElseTheTokensOne() {
        SpanMapper.Sender both = new SpanMapper.Sender(Set.of("trading", "support")::contains, null);
        assertThat(mapper.map(request(Map.of("asr.fleet", "support"), run()), both, NOW).spend()).extracting(SpendEvent::getFleet)
                .containsOnly("support");
        assertThat(mapper.map(request(run()), both, NOW).rejected()).extracting(SpanMapper.Rejected::reason).containsOnly("no-fleet");
        assertThat(mapper.map(request(Map.of("asr.fleet", "support"), run()), TRADING, NOW).rejected())
                .extracting(SpanMapper.Rejected::reason).containsOnly("fleet-not-granted");
    }

    @Test
    void theSameSpansMapToTheSameEventsSoAResentBatchCountsOnce() {
        SpanMapper.Mapped first = mapper.map(request(run()), TRADING, NOW);
        SpanMapper.Mapped again = mapper.map(request(run()), TRADING, NOW.plusSeconds(30));
        assertThat(again.spend()).isEqualTo(first.spend());
        assertThat(again.outcomes()).isEqualTo(first.outcomes());
    }

    @Test
    void valuesTheEventRulesRefuseAreRejectedWithTheirReasons() {
        SpanMapper.Mapped mapped = mapper.map(request(
                span(1, 0, "gen_ai.operation.name", "invoke_agent", "gen_ai.agent.id", "bad\u0007id"),
                span(2, 0, "gen_ai.operation.name", "chat", "gen_ai.agent.id", "bot-1", "gen_ai.usage.input_tokens", -5),
                span(3, 0, "gen_ai.operation.name", "chat", "gen_ai.agent.id", "bot-1", "gen_ai.usage.cost.amount", 1.0,
                        "gen_ai.usage.cost.currency", "EUR"),
                span(4, 0, "gen_ai.operation.name", "chat", "gen_ai.agent.id", "bot-1", "gen_ai.usage.cost.amount", "lots")), TRADING, NOW);
        assertThat(mapped.rejected()).extracting(SpanMapper.Rejected::reason)
                .containsExactly("invalid-id", "negative-amount", "currency-mismatch", "out-of-range");
    }
}
