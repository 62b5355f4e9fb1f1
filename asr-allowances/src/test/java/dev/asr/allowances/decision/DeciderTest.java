package dev.asr.allowances.decision;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.allowances.ledger.AgentAllowance;
import dev.asr.allowances.ledger.CashView;
import dev.asr.allowances.ledger.Hold;
import dev.asr.allowances.ledger.Holds;
import dev.asr.allowances.ledger.Thresholds;
import dev.asr.allowances.policy.AllowancePolicy;
import dev.asr.allowances.policy.BandAllowance;
import dev.asr.allowances.policy.Mode;
import dev.asr.allowances.policy.Period;
import dev.asr.event.Band;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The decision rules with numbers worked by hand. The ASSISTED allowance here: $200 a day, $20 at
 * most at once, a person above $10.
 */
class DeciderTest {

    private static final long DOLLAR = 1_000_000;
    private static final BandAllowance ASSISTED = new BandAllowance(200 * DOLLAR, Period.DAY, 20 * DOLLAR, 10 * DOLLAR, Mode.AUTONOMOUS);
    private static final BandAllowance REACTIVE = new BandAllowance(20 * DOLLAR, Period.DAY, 2 * DOLLAR, 0, Mode.PROPOSE_ONLY);
    private static final Instant NOON = Instant.parse("2026-12-01T12:00:00Z");
    private static final Instant DAY_START = Instant.parse("2026-12-01T00:00:00Z");
    private static final Duration HOLD = Duration.ofMinutes(5);

    private static AgentAllowance spent(long micros) {
        return new AgentAllowance("trading", "bot-1", Band.ASSISTED, DAY_START, micros, Holds.NONE, 0);
    }

    private static AuthorizationRequest ask(String id, long micros) {
        return new AuthorizationRequest(id, "trading", "bot-1", micros, "TRANSACTION", null);
    }

    @Test
    void exactlyTheRemainingAmountIsAllowedAndHeldOneMicroMoreIsDenied() {
        // $195 spent of $200: $5 remain.
        Decider.Decided exact = Decider.decide(spent(195 * DOLLAR), ASSISTED, ask("a-1", 5 * DOLLAR), NOON, HOLD);
        assertThat(exact.outcome().decision()).isEqualTo(Decision.ALLOW);
        assertThat(exact.outcome().reason()).isEqualTo(Reason.WITHIN_ALLOWANCE);
        assertThat(exact.outcome().view().heldMicros()).isEqualTo(5 * DOLLAR);
        assertThat(exact.outcome().view().remainingMicros()).isZero();
        assertThat(exact.outcome().holdExpiresAt()).isEqualTo(Instant.parse("2026-12-01T12:05:00Z"));
        assertThat(exact.state().holds().asMap()).containsEntry("a-1", new Hold("a-1", 5 * DOLLAR, Instant.parse("2026-12-01T12:05:00Z")));

        Decider.Decided over = Decider.decide(spent(195 * DOLLAR), ASSISTED, ask("a-2", 5 * DOLLAR + 1), NOON, HOLD);
        assertThat(over.outcome().decision()).isEqualTo(Decision.DENY);
        assertThat(over.outcome().reason()).isEqualTo(Reason.OVER_REMAINING);
        assertThat(over.outcome().view().remainingMicros()).isEqualTo(5 * DOLLAR);
        assertThat(over.outcome().holdExpiresAt()).isNull();
        assertThat(over.state()).isEqualTo(spent(195 * DOLLAR));
    }

    @Test
    void theLargestSingleSpendIsDeniedPastItsCapEvenWithMoneyLeft() {
        assertThat(Decider.decide(spent(0), ASSISTED, ask("a", 20 * DOLLAR + 1), NOON, HOLD).outcome().reason())
                .isEqualTo(Reason.OVER_MAX_SPEND);
        // $20 exactly is within max-spend but above review-above ($10): a person decides.
        Outcome twenty = Decider.decide(spent(0), ASSISTED, ask("b", 20 * DOLLAR), NOON, HOLD).outcome();
        assertThat(twenty.decision()).isEqualTo(Decision.REVIEW);
        assertThat(twenty.reason()).isEqualTo(Reason.OVER_REVIEW_THRESHOLD);
        assertThat(twenty.view().heldMicros()).as("a review holds nothing").isZero();
    }

    @Test
    void theReviewThresholdItselfIsAllowedOneMicroAboveGoesToAPerson() {
        assertThat(Decider.decide(spent(0), ASSISTED, ask("a", 10 * DOLLAR), NOON, HOLD).outcome().decision()).isEqualTo(Decision.ALLOW);
        assertThat(Decider.decide(spent(0), ASSISTED, ask("b", 10 * DOLLAR + 1), NOON, HOLD).outcome().decision())
                .isEqualTo(Decision.REVIEW);
    }

    @Test
    void aProposeOnlyBandSendsEverySpendToAPersonButStillDeniesWhatCouldNeverBeAllowed() {
        AgentAllowance reactive = spent(0).withBand(Band.REACTIVE);
        Outcome small = Decider.decide(reactive, REACTIVE, ask("a", 1), NOON, HOLD).outcome();
        assertThat(small.decision()).isEqualTo(Decision.REVIEW);
        assertThat(small.reason()).isEqualTo(Reason.PROPOSE_ONLY);
        assertThat(Decider.decide(reactive, REACTIVE, ask("b", 2 * DOLLAR + 1), NOON, HOLD).outcome().reason())
                .isEqualTo(Reason.OVER_MAX_SPEND);
    }

    @Test
    void anAmountThatIsNotPositiveIsDenied() {
        assertThat(Decider.decide(spent(0), ASSISTED, ask("a", 0), NOON, HOLD).outcome().reason()).isEqualTo(Reason.INVALID_REQUEST);
        assertThat(Decider.decide(spent(0), ASSISTED, ask("a", -1), NOON, HOLD).outcome().decision()).isEqualTo(Decision.DENY);
    }

    @Test
    void atUtcMidnightThePeriodRollsOverSpendResetsAndOpenHoldsCarryOver() {
        // $190 spent; a $10 hold taken at 23:58 (expires 00:03).
        Instant beforeMidnight = Instant.parse("2026-12-01T23:59:59.999Z");
        AgentAllowance state = spent(190 * DOLLAR).withHold(new Hold("h", 10 * DOLLAR, Instant.parse("2026-12-02T00:03:00Z")));
        assertThat(Decider.decide(state, ASSISTED, ask("a", 1), beforeMidnight, HOLD).outcome().reason()).isEqualTo(Reason.OVER_REMAINING);

        Instant midnight = Instant.parse("2026-12-02T00:00:00Z");
        Outcome after = Decider.decide(state, ASSISTED, ask("b", 10 * DOLLAR), midnight, HOLD).outcome();
        assertThat(after.decision()).isEqualTo(Decision.ALLOW);
        assertThat(after.view().periodStart()).isEqualTo(midnight);
        assertThat(after.view().spentMicros()).isZero();
        // $200 - $0 spent - ($10 carried + $10 new) held = $180.
        assertThat(after.view().remainingMicros()).isEqualTo(180 * DOLLAR);
    }

    @Test
    void aHoldIsReleasedAtItsExpiryAndBySpendCarryingItsId() {
        Decider.Decided allowed = Decider.decide(spent(180 * DOLLAR), ASSISTED, ask("a-1", 10 * DOLLAR), NOON, HOLD);
        AgentAllowance held = allowed.state();
        assertThat(Decider.decide(held, ASSISTED, ask("a-2", 10 * DOLLAR + 1), NOON.plusSeconds(299), HOLD).outcome().reason())
                .isEqualTo(Reason.OVER_REMAINING);
        Outcome afterExpiry = Decider.decide(held, ASSISTED, ask("a-3", 10 * DOLLAR + 1), NOON.plus(HOLD), HOLD).outcome();
        assertThat(afterExpiry.reason()).as("the $10 hold expired at 12:05: $20 remain, and $10.000001 is above review")
                .isEqualTo(Reason.OVER_REVIEW_THRESHOLD);
        assertThat(afterExpiry.view().heldMicros()).isZero();

        // The spend of a-1 arrives ($9.50, less than held): the hold goes, the spend counts.
        AgentAllowance settled = held.withSpend(9_500_000, NOON.plusSeconds(30), "a-1", ASSISTED);
        assertThat(settled.holds().isEmpty()).isTrue();
        assertThat(settled.view(ASSISTED).remainingMicros()).isEqualTo(200 * DOLLAR - 180 * DOLLAR - 9_500_000);
        assertThat(held.withoutHold("a-1").heldMicros()).as("released early").isZero();
    }

    @Test
    void spendCountsInThePeriodItHappenedIn() {
        AgentAllowance state = spent(0);
        assertThat(state.withSpend(DOLLAR, Instant.parse("2026-11-30T23:59:59Z"), null, ASSISTED).spentMicros())
                .as("yesterday's spend arriving late is yesterday's").isZero();
        assertThat(state.withSpend(DOLLAR, NOON, null, ASSISTED).spentMicros()).isEqualTo(DOLLAR);
        AgentAllowance tomorrow = spent(150 * DOLLAR).withSpend(DOLLAR, Instant.parse("2026-12-02T00:00:01Z"), null, ASSISTED);
        assertThat(tomorrow.periodStart()).as("the first spend of a new day starts it").isEqualTo(Instant.parse("2026-12-02T00:00:00Z"));
        assertThat(tomorrow.spentMicros()).isEqualTo(DOLLAR);
        assertThat(state.withSpend(Long.MAX_VALUE, NOON, null, ASSISTED).withSpend(DOLLAR, NOON, null, ASSISTED).spentMicros())
                .as("saturates instead of wrapping").isEqualTo(Long.MAX_VALUE);
    }

    @Test
    void aDownTierWhileHoldsAreOpenAppliesAtOnceAndExhaustsAnAgentAlreadyOver() {
        BandAllowance selfDirected = AllowancePolicy.defaults().of("trading", Band.SELF_DIRECTED);
        AgentAllowance rich = spent(150 * DOLLAR).withBand(Band.SELF_DIRECTED)
                .withHold(new Hold("h", 100 * DOLLAR, NOON.plusSeconds(60)));
        assertThat(rich.view(selfDirected).remainingMicros()).isEqualTo(2_000 * DOLLAR - 250 * DOLLAR);

        AgentAllowance poorer = rich.withBand(Band.ASSISTED);
        CashView view = poorer.view(ASSISTED);
        assertThat(view.remainingMicros()).as("$150 spent + $100 held > the $200 limit").isZero();
        assertThat(Thresholds.newlyCrossed(view, poorer.announced())).containsExactly(50, 80, 95, 100);
        assertThat(Thresholds.newlyExhausted(view, poorer.announced())).isTrue();
        assertThat(Decider.decide(poorer, ASSISTED, ask("a", 1), NOON, HOLD).outcome().reason()).isEqualTo(Reason.OVER_REMAINING);
        assertThat(poorer.withoutExpired(NOON.plusSeconds(60)).view(ASSISTED).remainingMicros())
                .as("once the hold expires, $50 remain").isEqualTo(50 * DOLLAR);
    }

    @Test
    void requestsDecidedOneAfterAnotherNeverAllowMoreThanRemained() {
        Random random = new Random(11);
        for (int round = 0; round < 200; round++) {
            long spentBefore = random.nextLong(0, 200 * DOLLAR);
            AgentAllowance state = spent(spentBefore);
            long allowed = 0;
            for (int i = 0; i < 50; i++) {
                Decider.Decided decided = Decider.decide(state, ASSISTED, ask("r" + round + "-" + i, random.nextLong(1, 12 * DOLLAR)), NOON,
                        HOLD);
                if (decided.outcome().decision() == Decision.ALLOW) {
                    allowed += decided.outcome().view().heldMicros() - state.heldMicros();
                }
                state = decided.state();
            }
            assertThat(allowed).isLessThanOrEqualTo(200 * DOLLAR - spentBefore);
            assertThat(state.heldMicros()).isEqualTo(allowed);
        }
    }
}
