package dev.asr.schemas.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** SPEC §5–6 for one event, edge by edge: the rules the gateway and the topology share. */
class EventRulesTest {

    private static final Instant NOW = Instant.parse("2026-11-26T09:00:00Z");
    private final EventRules rules = EventRules.defaults();

    private static SpendEvent.Builder spend() {
        return SpendEvent.newBuilder().setEventId("e-1").setAgentId("bot-1").setFleet("support").setTaskId("t-1")
                .setKind(SpendKind.INFERENCE).setCostMicros(1_500).setInputTokens(1_200).setOutputTokens(300)
                .setOccurredAt(NOW.minusSeconds(60));
    }

    private static OutcomeEvent.Builder outcome() {
        return OutcomeEvent.newBuilder().setEventId("o-1").setAgentId("bot-1").setFleet("support").setTaskId("t-1")
                .setStatus(OutcomeStatus.SUCCEEDED).setValueMicros(4_000_000).setHumanInterventions(0).setOccurredAt(NOW);
    }

    private Violation check(SpendEvent.Builder event) {
        return rules.check(event.build(), NOW.toEpochMilli());
    }

    private Violation check(OutcomeEvent.Builder event) {
        return rules.check(event.build(), NOW.toEpochMilli());
    }

    @Test
    void goodEventsFollowEveryRule() {
        assertThat(check(spend())).isNull();
        assertThat(check(spend().setTaskId(null).setKind(SpendKind.IDLE))).as("spend may name no task").isNull();
        assertThat(check(outcome())).isNull();
    }

    @Test
    void anIdOf256CharactersIsTakenAndOneOf257IsInvalid() {
        assertThat(check(spend().setEventId("e".repeat(256)))).isNull();
        Violation v = check(spend().setEventId("e".repeat(257)));
        assertThat(v.rejection()).isEqualTo(Rejection.INVALID_ID);
        assertThat(v.field()).isEqualTo("event_id");
        assertThat(v.message()).isEqualTo("event_id is 257 characters long; ids are 1 to 256 characters");
    }

    @Test
    void anIdsLengthCountsCharactersNotBytesOrUtf16Units() {
        String emoji = "\uD83E\uDD16"; // one character, two UTF-16 units, four UTF-8 bytes
        assertThat(check(spend().setAgentId(emoji.repeat(256)))).isNull();
        assertThat(check(spend().setAgentId(emoji.repeat(257))).rejection()).isEqualTo(Rejection.INVALID_ID);
    }

    @ParameterizedTest(name = "U+{0} in {1}")
    @CsvSource({"0000, event_id", "0009, agent_id", "001F, fleet", "007F, task_id", "0085, agent_id", "009F, fleet"})
    void aControlCharacterInAnyIdIsInvalid(String hex, String field) {
        String bad = "a" + (char) Integer.parseInt(hex, 16) + "b";
        SpendEvent.Builder event = spend();
        switch (field) {
            case "event_id" -> event.setEventId(bad);
            case "agent_id" -> event.setAgentId(bad);
            case "fleet" -> event.setFleet(bad);
            default -> event.setTaskId(bad);
        }
        Violation v = check(event);
        assertThat(v.rejection()).isEqualTo(Rejection.INVALID_ID);
        assertThat(v.field()).isEqualTo(field);
        assertThat(v.message()).contains("control character U+" + hex + " at position 1");
    }

    @Test
    void charactersJustPastTheControlRangesAreTaken() {
        assertThat(check(spend().setAgentId("a\u0020b\u007e\u00a0c"))).isNull();
    }

    @Test
    void aMissingOrBlankIdIsAMissingField() {
        assertThat(check(spend().setFleet(" "))).isEqualTo(new Violation(Rejection.MISSING_FIELD, "fleet",
                "fleet is blank: name the agent's fleet or team"));
        SpendEvent noAgent = spend().build();
        noAgent.setAgentId(null);
        assertThat(rules.check(noAgent, NOW.toEpochMilli()).message()).isEqualTo("agent_id is missing: name the agent (gen_ai.agent.id)");
        assertThat(check(spend().setTaskId(" ")).message()).contains("leave it null for spend that serves no task");
        assertThat(check(outcome().setTaskId("")).message()).isEqualTo("task_id is blank: an outcome must name the task it settles");
    }

    @ParameterizedTest(name = "{0} at its bound is taken, one over is out of range")
    @ValueSource(strings = {"cost_micros", "input_tokens", "output_tokens", "value_micros", "human_interventions"})
    void anAmountAtItsBoundIsTakenAndOneOverIsOutOfRange(String field) {
        long bound = switch (field) {
            case "cost_micros", "value_micros" -> 1_000_000_000_000_000L;
            case "human_interventions" -> 1_000_000L;
            default -> 1_000_000_000L;
        };
        assertThat(withAmount(field, bound)).isNull();
        Violation over = withAmount(field, bound + 1);
        assertThat(over.rejection()).isEqualTo(Rejection.OUT_OF_RANGE);
        assertThat(over.field()).isEqualTo(field);
        assertThat(over.message()).startsWith(field + " is " + (bound + 1) + "; it must be at most " + bound + " (");
    }

    @ParameterizedTest(name = "{0} below zero")
    @ValueSource(strings = {"cost_micros", "input_tokens", "output_tokens", "value_micros", "human_interventions"})
    void aNegativeAmountIsRefused(String field) {
        Violation v = withAmount(field, -1);
        assertThat(v.rejection()).isEqualTo(Rejection.NEGATIVE_AMOUNT);
        assertThat(v.message()).isEqualTo(field + " is -1; it must be >= 0");
    }

    private Violation withAmount(String field, long amount) {
        return switch (field) {
            case "cost_micros" -> check(spend().setCostMicros(amount));
            case "input_tokens" -> check(spend().setInputTokens(amount));
            case "output_tokens" -> check(spend().setOutputTokens(amount));
            case "value_micros" -> check(outcome().setValueMicros(amount));
            default -> check(outcome().setHumanInterventions((int) amount));
        };
    }

    @Test
    void anEventStampedExactlyTheMaxClockSkewAheadIsTakenAndOneMillisecondMoreIsInTheFuture() {
        assertThat(check(spend().setOccurredAt(NOW.plus(Duration.ofMinutes(5))))).isNull();
        Violation v = check(spend().setOccurredAt(NOW.plus(Duration.ofMinutes(5)).plusMillis(1)));
        assertThat(v.rejection()).isEqualTo(Rejection.FUTURE_TIMESTAMP);
        assertThat(v.message()).isEqualTo("occurred_at is 2026-11-26T09:05:00.001Z, more than 5m (asr.max-clock-skew) ahead of this clock,"
                + " 2026-11-26T09:00:00Z: check the sender's clock");
    }

    @Test
    void anEventBefore1970IsOutOfRange() {
        Violation v = check(outcome().setOccurredAt(Instant.ofEpochMilli(-1)));
        assertThat(v.rejection()).isEqualTo(Rejection.OUT_OF_RANGE);
        assertThat(v.message()).contains("before 1970");
    }

    @Test
    void spendInAnotherCurrencyIsRefused() {
        Violation v = check(spend().setCurrency("EUR"));
        assertThat(v).isEqualTo(new Violation(Rejection.CURRENCY_MISMATCH, "currency",
                "currency is 'EUR' but this deployment counts in USD (asr.currency): convert before reporting"));
        assertThat(EventRules.from(Map.of("asr.currency", "EUR")).check(spend().setCurrency("EUR").build(), NOW.toEpochMilli())).isNull();
    }

    @Test
    void theFirstRuleBrokenIsReported() {
        Violation v = check(spend().setEventId("").setCostMicros(-1).setCurrency("EUR"));
        assertThat(v.field()).isEqualTo("event_id");
    }

    @Test
    void aRecordKeyedByAnythingButItsAgentIsAKeyMismatch() {
        assertThat(EventRules.key("bot-1", "bot-1")).isNull();
        assertThat(EventRules.key("bot-2", "bot-1").rejection()).isEqualTo(Rejection.KEY_MISMATCH);
        assertThat(EventRules.key(null, "bot-1").message()).startsWith("record key is null but agent_id is 'bot-1'");
    }

    @Test
    void theSharedSettingsHaveOneHomeAndBadValuesNameTheirKey() {
        EventRules fromSettings = EventRules.from(Map.of("asr.max-clock-skew", "30s"));
        assertThat(fromSettings.currency()).isEqualTo("USD");
        assertThat(fromSettings.maxClockSkew()).isEqualTo(Duration.ofSeconds(30));
        assertThatThrownBy(() -> EventRules.from(Map.of("asr.currency", "usd"))).hasMessageContaining("asr.currency='usd'");
        assertThatThrownBy(() -> EventRules.from(Map.of("asr.max-clock-skew", "soon"))).hasMessageContaining("asr.max-clock-skew");
    }

    @Test
    void theAgeRuleTakesTheLongestOfTheViewsAndNamesEpochSeconds() {
        EventRules rules = EventRules.from(Map.of("asr.views", "5m,2h,30m"));
        assertThat(rules.maxAge()).isEqualTo(Duration.ofHours(2));
        long now = NOW.toEpochMilli();
        assertThat(rules.checkAge(NOW.minus(Duration.ofHours(2)), now, null)).as("exactly the longest view: still counted").isNull();
        Violation old = rules.checkAge(NOW.minus(Duration.ofHours(2)).minusMillis(1), now, null);
        assertThat(old.rejection()).isEqualTo(Rejection.TOO_LATE);
        assertThat(old.field()).isEqualTo("occurred_at");
        assertThat(old.message()).isEqualTo("occurred_at is 2026-11-26T06:59:59.999Z, more than 2h (the longest of asr.views) before this"
                + " clock, 2026-11-26T09:00:00Z: no window can count it. Report events as they happen; check the sender's clock");

        long seconds = NOW.minusSeconds(10).getEpochSecond();
        Violation inSeconds = rules.checkAge(Instant.ofEpochMilli(seconds), now, seconds);
        assertThat(inSeconds.message()).endsWith(seconds + " looks like epoch seconds; occurred_at takes epoch milliseconds ("
                + seconds * 1000 + ") or an ISO-8601 instant (2026-11-26T08:59:50Z)");
        Violation tooOldInSecondsToo = rules.checkAge(Instant.ofEpochMilli(1_000), now, 1_000L);
        assertThat(tooOldInSecondsToo.message()).as("1000 s is 1970 either way: no hint").endsWith("check the sender's clock");
    }
}
