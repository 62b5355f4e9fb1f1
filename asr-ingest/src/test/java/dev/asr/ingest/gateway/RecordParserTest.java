package dev.asr.ingest.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.event.OutcomeEvent;
import dev.asr.event.OutcomeStatus;
import dev.asr.event.SpendEvent;
import dev.asr.event.SpendKind;
import java.nio.charset.StandardCharsets;
import dev.asr.schemas.rules.EventRules;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RecordParserTest {

    private static final Instant NOW = Instant.parse("2026-11-26T09:00:00Z");
    private static final String GOOD_SPEND = "{\"event_id\":\"e1\",\"agent_id\":\"bot-1\",\"fleet\":\"support\",\"task_id\":\"t1\","
            + "\"kind\":\"INFERENCE\",\"cost_micros\":1500,\"input_tokens\":1200,\"output_tokens\":300,\"model\":\"gpt-4.1-mini\","
            + "\"occurred_at\":\"2026-11-26T08:59:00Z\",\"attributes\":{\"region\":\"eu\"}}";
    private static final String GOOD_OUTCOME = "{\"event_id\":\"o1\",\"agent_id\":\"bot-1\",\"fleet\":\"support\",\"task_id\":\"t1\","
            + "\"status\":\"SUCCEEDED\",\"value_micros\":4000000,\"human_interventions\":0,\"occurred_at\":1795683540000}";

    private final RecordParser parser = new RecordParser(EventRules.defaults(), Clock.fixed(NOW, ZoneOffset.UTC), 1_000);

    private RecordParser.Parsed spend(String body) {
        return parser.spend(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsEveryFieldOfASpendRecord() {
        RecordParser.Parsed parsed = spend(GOOD_SPEND);
        assertThat(parsed.problems()).isEmpty();
        SpendEvent event = (SpendEvent) parsed.records().get(0);
        assertThat(event).isEqualTo(SpendEvent.newBuilder().setEventId("e1").setAgentId("bot-1").setFleet("support").setTaskId("t1")
                .setKind(SpendKind.INFERENCE).setCostMicros(1500).setCurrency("USD").setInputTokens(1200).setOutputTokens(300)
                .setModel("gpt-4.1-mini").setTool(null).setOccurredAt(Instant.parse("2026-11-26T08:59:00Z"))
                .setAttributes(Map.of("region", "eu")).build());
    }

    @Test
    void readsAnOutcomeWithEpochMillis() {
        RecordParser.Parsed parsed = parser.outcomes(GOOD_OUTCOME.getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.problems()).isEmpty();
        OutcomeEvent event = (OutcomeEvent) parsed.records().get(0);
        assertThat(event.getStatus()).isEqualTo(OutcomeStatus.SUCCEEDED);
        assertThat(event.getValueMicros()).isEqualTo(4_000_000);
        assertThat(event.getOccurredAt()).isEqualTo(Instant.ofEpochMilli(1795683540000L));
    }

    @Test
    void fillsInWhatASenderMayLeaveOut() {
        RecordParser.Parsed parsed = spend("{\"agent_id\":\"a\",\"fleet\":\"f\",\"kind\":\"IDLE\",\"cost_micros\":0}");
        SpendEvent event = (SpendEvent) parsed.records().get(0);
        assertThat(event.getEventId()).hasSize(36);
        assertThat(event.getOccurredAt()).isEqualTo(NOW);
        assertThat(event.getCurrency()).isEqualTo("USD");
        assertThat(event.getTaskId()).isNull();
        assertThat(event.getInputTokens()).isZero();
        assertThat(event.getAttributes()).isEmpty();
    }

    @Test
    void takesAnArrayOrNdjson() {
        assertThat(spend("[" + GOOD_SPEND + "," + GOOD_SPEND + "]").records()).hasSize(2);
        assertThat(spend(GOOD_SPEND + "\n" + GOOD_SPEND + "\n" + GOOD_SPEND + "\n").records()).hasSize(3);
        assertThat(spend("[]").records()).isEmpty();
    }

    @Test
    void keepsTheGoodRecordsOfABatchAndNamesTheBadOnesByIndex() {
        String bad = GOOD_SPEND.replace("\"cost_micros\":1500", "\"cost_micros\":-5");
        RecordParser.Parsed parsed = spend(GOOD_SPEND + "\n" + bad + "\n" + GOOD_SPEND);
        assertThat(parsed.records()).hasSize(2);
        assertThat(parsed.problems()).containsExactly(new RecordParser.Problem(1, "cost_micros", "negative-amount", "cost_micros is -5; it must be >= 0"));
    }

    /**
     * One row per bad-input class: what is changed in a good record, the field blamed, the reason
     * (the topology's dead-letter reason for the same rule, or malformed-json for the JSON's shape)
     * and words the error must hold.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing agent_id        | "agent_id":"bot-1",            |                              | agent_id    | missing-field    | agent_id is missing
            blank fleet             | "fleet":"support"              | "fleet":"  "                 | fleet       | missing-field    | fleet is blank
            agent_id not a string   | "agent_id":"bot-1"             | "agent_id":7                 | agent_id    | malformed-json   | must be a string
            agent_id too long       | "agent_id":"bot-1"             | "agent_id":"%s"              | agent_id    | invalid-id       | 257 characters long; ids are 1 to 256
            control char in task_id | "task_id":"t1"                 | "task_id":"t\\u0007"        | task_id     | invalid-id       | control character U+0007 at position 1
            unknown kind            | "kind":"INFERENCE"             | "kind":"inference"           | kind        | malformed-json   | one of [INFERENCE, TOOL_CALL
            negative cost           | "cost_micros":1500             | "cost_micros":-1             | cost_micros | negative-amount  | must be >= 0
            cost over the bound     | "cost_micros":1500             | "cost_micros":1000000000000001 | cost_micros | out-of-range   | at most 1000000000000000 (a billion currency units)
            fractional cost         | "cost_micros":1500             | "cost_micros":1.5            | cost_micros | malformed-json   | whole number
            cost as text            | "cost_micros":1500             | "cost_micros":"1500"         | cost_micros | malformed-json   | whole number
            cost beyond a long      | "cost_micros":1500             | "cost_micros":99999999999999999999 | cost_micros | out-of-range | 99999999999999999999; it must be at most
            tokens over the bound   | "input_tokens":1200            | "input_tokens":1000000001    | input_tokens | out-of-range    | at most 1000000000 (a billion)
            missing cost            | "cost_micros":1500,            |                              | cost_micros | missing-field    | cost_micros is missing
            currency mismatch       | "model"                        | "currency":"EUR","model"     | currency    | currency-mismatch | counts in USD
            future timestamp        | "2026-11-26T08:59:00Z"         | "2026-11-26T09:06:00Z"       | occurred_at | future-timestamp | ahead of this clock
            timestamp not a time    | "2026-11-26T08:59:00Z"         | "yesterday"                  | occurred_at | malformed-json   | ISO-8601
            timestamp before 1970   | "2026-11-26T08:59:00Z"         | "1969-12-31T23:59:59Z"       | occurred_at | out-of-range     | before 1970
            unknown field           | "model"                        | "cost":1,"model"             | cost        | malformed-json   | not a field of this record
            nested object field     | "model":"gpt-4.1-mini"         | "model":{"name":"x"}         | model       | malformed-json   | not an object
            array field             | "model":"gpt-4.1-mini"         | "model":["x"]                | model       | malformed-json   | not an array
            attribute not a string  | {"region":"eu"}                | {"region":1}                 | attributes.region | malformed-json | must be strings
            """)
    void rejectsEachBadInputClass(String name, String replace, String with, String field, String reason, String words) {
        String body = GOOD_SPEND.replace(replace, with == null ? "" : with.replace("%s", "a".repeat(257)));
        assertThat(body).as("the case must change the record").isNotEqualTo(GOOD_SPEND);
        RecordParser.Parsed parsed = spend(body + "\n" + GOOD_SPEND);
        assertThat(parsed.records()).as("the good record after it is kept").hasSize(1);
        assertThat(parsed.problems()).hasSize(1);
        RecordParser.Problem problem = parsed.problems().get(0);
        assertThat(problem.index()).isZero();
        assertThat(problem.field()).isEqualTo(field);
        assertThat(problem.reason()).isEqualTo(reason);
        assertThat(problem.error()).contains(words);
    }

    @Test
    void theGatewayAndTheTopologyRefuseARecordWithTheSameReasonAndMessage() {
        String body = GOOD_SPEND.replace("\"cost_micros\":1500", "\"cost_micros\":2000000000000000");
        RecordParser.Problem problem = spend(body).problems().get(0);
        SpendEvent sameEvent = SpendEvent.newBuilder().setEventId("e1").setAgentId("bot-1").setFleet("support").setTaskId("t1")
                .setKind(SpendKind.INFERENCE).setCostMicros(2_000_000_000_000_000L).setOccurredAt(Instant.parse("2026-11-26T08:59:00Z"))
                .build();
        var violation = EventRules.defaults().check(sameEvent, NOW.toEpochMilli());
        assertThat(problem.reason()).isEqualTo(violation.rejection().code()).isEqualTo("out-of-range");
        assertThat(problem.error()).isEqualTo(violation.message());
    }

    @Test
    void anOutcomeNeedsItsTaskAndAValidStatus() {
        RecordParser.Parsed parsed = parser.outcomes(("{\"agent_id\":\"a\",\"fleet\":\"f\",\"status\":\"SUCCEEDED\"}\n"
                + "{\"agent_id\":\"a\",\"fleet\":\"f\",\"task_id\":\"t\",\"status\":\"DONE\"}\n"
                + "{\"agent_id\":\"a\",\"fleet\":\"f\",\"task_id\":\"t\",\"status\":\"FAILED\",\"human_interventions\":3000000000}")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.records()).isEmpty();
        assertThat(parsed.problems()).extracting(RecordParser.Problem::index, RecordParser.Problem::field)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(0, "task_id"), org.assertj.core.groups.Tuple.tuple(1, "status"),
                        org.assertj.core.groups.Tuple.tuple(2, "human_interventions"));
        assertThat(parsed.problems().get(1).error()).contains("'DONE'", "SUCCEEDED, FAILED, ABANDONED");
    }

    @Test
    void aRecordThatIsNotAnObjectIsNamed() {
        RecordParser.Parsed parsed = spend("[" + GOOD_SPEND + ", 42, \"text\", [1], null]");
        assertThat(parsed.records()).hasSize(1);
        assertThat(parsed.problems()).extracting(RecordParser.Problem::index).containsExactly(1, 2, 3, 4);
        assertThat(parsed.problems().get(0).error()).isEqualTo("record 1 is a number, not a JSON object");
    }

    @Test
    void aBodyThatIsNotJsonIsRefusedWhole() {
        RecordParser.Parsed parsed = spend(GOOD_SPEND + "\n{\"agent_id\": \n" + GOOD_SPEND);
        assertThat(parsed.records()).as("a broken body cannot be split reliably").isEmpty();
        assertThat(parsed.problems()).hasSize(1);
        assertThat(parsed.problems().get(0).error()).contains("not valid JSON at line 3", "(record 1)", "Nothing in it was accepted");
    }

    @Test
    void emptyBodiesAndTrailingDataAreNamed() {
        assertThat(spend("").problems().get(0).error()).contains("the body is empty");
        assertThat(spend("  \n ").problems().get(0).error()).contains("the body is empty");
        assertThat(spend("[" + GOOD_SPEND + "] {}").problems().get(0).error()).contains("more after the JSON array");
        assertThat(spend("\u00ff\u00fe garbage").problems().get(0).error()).contains("not valid JSON");
    }

    @Test
    void deepNestingIsRefusedNotFollowed() {
        RecordParser.Parsed parsed = spend("[".repeat(5000) + "]".repeat(5000));
        assertThat(parsed.records()).isEmpty();
        assertThat(parsed.problems()).isNotEmpty();
    }

    @Test
    void anOccurredAtOlderThanTheLongestViewIsRefusedAsTooLate() {
        RecordParser.Parsed parsed = spend(GOOD_SPEND.replace("2026-11-26T08:59:00Z", "2024-11-26T09:00:00Z"));
        assertThat(parsed.records()).isEmpty();
        RecordParser.Problem problem = parsed.problems().get(0);
        assertThat(problem.reason()).isEqualTo("too-late");
        assertThat(problem.field()).isEqualTo("occurred_at");
        assertThat(problem.error()).isEqualTo("occurred_at is 2024-11-26T09:00:00Z, more than 1d (the longest of asr.views) before this"
                + " clock, 2026-11-26T09:00:00Z: no window can count it. Report events as they happen; check the sender's clock");

        assertThat(spend(GOOD_SPEND.replace("2026-11-26T08:59:00Z", "2026-11-25T09:00:01Z")).records())
                .as("24 h less a second is still counted").hasSize(1);
    }

    @Test
    void anEpochSecondsOccurredAtIsRefusedWithTheHint() {
        RecordParser.Parsed parsed = parser.outcomes(GOOD_OUTCOME.replace("1795683540000", "1795683540").getBytes(StandardCharsets.UTF_8));
        assertThat(parsed.records()).isEmpty();
        assertThat(parsed.problems().get(0).reason()).isEqualTo("too-late");
        assertThat(parsed.problems().get(0).error()).startsWith("occurred_at is 1970-01-21T18:48:03.540Z, more than 1d")
                .endsWith("1795683540 looks like epoch seconds; occurred_at takes epoch milliseconds (1795683540000) or an ISO-8601 instant"
                        + " (2026-11-26T08:59:00Z)");

        RecordParser.Parsed epoch1970 = parser.outcomes(GOOD_OUTCOME.replace("1795683540000", "86400000").getBytes(StandardCharsets.UTF_8));
        assertThat(epoch1970.problems().get(0).error()).as("a 1970 date that is not a time in seconds either")
                .startsWith("occurred_at is 1970-01-02T00:00:00Z").endsWith("check the sender's clock");
    }

    @Test
    void keepsTheFirstHundredProblemsOfABodyAndCountsTheRest() {
        RecordParser.Parsed parsed = spend("{}\n".repeat(10_000) + GOOD_SPEND);
        assertThat(parsed.problems()).hasSize(RecordParser.REPORTED_PROBLEMS);
        assertThat(parsed.problems().get(99).index()).isEqualTo(99);
        assertThat(parsed.rejected()).isEqualTo(10_000);
        assertThat(parsed.records()).hasSize(1);
        assertThat(parsed.indexes()).containsExactly(10_000);
    }

    @Test
    void stopsReadingOnceABodyHoldsMoreRecordsThanMayBeTakenAtOnce() {
        RecordParser small = new RecordParser(EventRules.defaults(), Clock.fixed(NOW, ZoneOffset.UTC), 3);
        byte[] four = (GOOD_SPEND + "\n").repeat(4).getBytes(StandardCharsets.UTF_8);
        assertThat(small.spend(four).tooMany()).isTrue();
        byte[] three = (GOOD_SPEND + "\n").repeat(3).getBytes(StandardCharsets.UTF_8);
        assertThat(small.spend(three).tooMany()).isFalse();
        assertThat(small.spend(three).records()).hasSize(3);
    }
}
