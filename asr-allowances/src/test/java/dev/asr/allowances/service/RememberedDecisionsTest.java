package dev.asr.allowances.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.asr.allowances.decision.Decision;
import dev.asr.allowances.decision.Outcome;
import dev.asr.allowances.decision.Reason;
import dev.asr.allowances.ledger.CashView;
import dev.asr.event.Band;
import java.time.Instant;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RememberedDecisionsTest {

    private static final Instant T0 = Instant.parse("2026-12-02T12:00:00Z");

    private static Outcome outcome(String id, int secondsAfterT0) {
        Instant decidedAt = T0.plusSeconds(secondsAfterT0);
        CashView view = new CashView(Band.ASSISTED, T0.minusSeconds(43_200), T0.plusSeconds(43_200), 200_000_000, 1_000_000 + secondsAfterT0,
                250_000);
        return new Outcome(id, Decision.ALLOW, Reason.WITHIN_ALLOWANCE, view, decidedAt, decidedAt.plusSeconds(300));
    }

    /** auth-0 decided at T0, auth-1 a second later, ... auth-9. */
    private static RememberedDecisions tenDecisionsASecondApart(Object agent) {
        RememberedDecisions remembered = new RememberedDecisions();
        for (int i = 0; i < 10; i++) {
            remembered.putIfAbsent(agent, outcome("auth-" + i, i));
        }
        return remembered;
    }

    @Test
    void aDecisionIsFoundByItsAgentAndAuthorizationIdOnly() {
        RememberedDecisions remembered = new RememberedDecisions();
        Object agentA = new Object();
        Object agentB = new Object();
        Outcome first = outcome("auth-1", 0);

        assertThat(remembered.putIfAbsent(agentA, first)).isTrue();

        assertThat(remembered.get(agentA, "auth-1")).isEqualTo(first);
        assertThat(remembered.get(agentB, "auth-1")).as("the same id asked by another agent is another authorization").isNull();
        assertThat(remembered.get(agentA, "auth-2")).isNull();
        assertThat(remembered.size()).isEqualTo(1);
    }

    @Test
    void containsAnswersForTheAgentAndIdOnlyAndNotOnceForgotten() {
        Object agent = new Object();
        RememberedDecisions remembered = tenDecisionsASecondApart(agent);

        assertThat(remembered.contains(agent, "auth-0")).isTrue();
        assertThat(remembered.contains(new Object(), "auth-0")).isFalse();
        assertThat(remembered.contains(agent, "auth-10")).isFalse();

        remembered.forget(T0.plusSeconds(1), 1_000);

        assertThat(remembered.contains(agent, "auth-0")).isFalse();
        assertThat(remembered.contains(agent, "auth-1")).isTrue();
    }

    @Test
    void everyFieldOfARememberedDecisionComesBackAsItWasDecided() {
        RememberedDecisions remembered = new RememberedDecisions();
        Object agent = new Object();
        Instant decidedAt = Instant.parse("1969-07-20T20:17:40.999999999Z");
        CashView view = new CashView(Band.SELF_DIRECTED, Instant.parse("1969-07-20T00:00:00Z"), Instant.parse("1969-07-21T00:00:00Z"),
                Long.MAX_VALUE, -1, Long.MIN_VALUE);
        Outcome review = new Outcome("auth-review", Decision.REVIEW, Reason.OVER_REVIEW_THRESHOLD, view, decidedAt, null);
        Outcome allow = new Outcome("auth-allow", Decision.ALLOW, Reason.WITHIN_ALLOWANCE, view, decidedAt, decidedAt.plusSeconds(300));
        Outcome deny = new Outcome("auth-deny", Decision.DENY, Reason.INVALID_REQUEST,
                new CashView(Band.UNRATED, view.periodStart(), view.periodEnd(), 0, 0, 0), Instant.EPOCH, null);

        remembered.putIfAbsent(agent, review);
        remembered.putIfAbsent(agent, allow);
        remembered.putIfAbsent(agent, deny);

        assertThat(remembered.get(agent, "auth-review")).isEqualTo(review);
        assertThat(remembered.get(agent, "auth-allow")).isEqualTo(allow);
        assertThat(remembered.get(agent, "auth-deny")).isEqualTo(deny);
    }

    @Test
    void aSecondDecisionForARememberedIdIsNotTakenAndTheFirstStays() {
        RememberedDecisions remembered = new RememberedDecisions();
        Object agent = new Object();
        Outcome first = outcome("auth-1", 0);

        remembered.putIfAbsent(agent, first);

        assertThat(remembered.putIfAbsent(agent, outcome("auth-1", 5))).isFalse();
        assertThat(remembered.get(agent, "auth-1")).isEqualTo(first);
        assertThat(remembered.size()).isEqualTo(1);
    }

    @Test
    void decisionsOlderThanTheWindowAreForgottenOldestFirstAndTheRestKept() {
        Object agent = new Object();
        RememberedDecisions remembered = tenDecisionsASecondApart(agent);

        // Decided before T0+4s: auth-0..auth-3; auth-4, decided exactly at the bound, stays.
        remembered.forget(T0.plusSeconds(4), 1_000);

        assertThat(remembered.size()).isEqualTo(6);
        for (int i = 0; i < 4; i++) {
            assertThat(remembered.get(agent, "auth-" + i)).as("auth-" + i).isNull();
        }
        for (int i = 4; i < 10; i++) {
            assertThat(remembered.get(agent, "auth-" + i)).as("auth-" + i).isNotNull();
        }
    }

    @Test
    void aDecisionOneNanosecondBeforeTheBoundIsForgottenAndOneAtTheBoundStays() {
        RememberedDecisions remembered = new RememberedDecisions();
        Object agent = new Object();
        Outcome early = outcome("auth-early", 4);
        Outcome atBound = outcome("auth-at-bound", 4);
        remembered.putIfAbsent(agent, new Outcome(early.authorizationId(), early.decision(), early.reason(), early.view(),
                T0.plusSeconds(4).plusNanos(499_999_999), null));
        remembered.putIfAbsent(agent, new Outcome(atBound.authorizationId(), atBound.decision(), atBound.reason(), atBound.view(),
                T0.plusSeconds(4).plusNanos(500_000_000), null));

        remembered.forget(T0.plusSeconds(4).plusNanos(500_000_000), 1_000);

        assertThat(remembered.get(agent, "auth-early")).isNull();
        assertThat(remembered.get(agent, "auth-at-bound")).isNotNull();
    }

    @Test
    void pastTheCapTheOldestAreForgottenUntilExactlyTheCapRemains() {
        Object agent = new Object();
        RememberedDecisions remembered = tenDecisionsASecondApart(agent);

        remembered.forget(T0, 3);

        assertThat(remembered.size()).isEqualTo(3);
        assertThat(remembered.get(agent, "auth-6")).isNull();
        assertThat(remembered.get(agent, "auth-7")).isNotNull();
        assertThat(remembered.get(agent, "auth-9")).isNotNull();
    }

    /**
     * Many agents, growth of the ring and of the index past their first sizes, forgetting while
     * adding (the ring wraps; removals shift probe chains back): every decision still remembered is
     * found, every forgotten one is not — checked against the arrival order itself.
     */
    @Test
    void thousandsOfDecisionsAddedAndForgottenInTurnAreAllFoundExactlyWhileRemembered() {
        RememberedDecisions remembered = new RememberedDecisions();
        Object[] agents = new Object[97];
        for (int a = 0; a < agents.length; a++) {
            agents[a] = new Object();
        }
        SplittableRandom random = new SplittableRandom(11);
        int total = 50_000;
        int cap = 7_000;
        int[] agentOf = new int[total];
        for (int i = 0; i < total; i++) {
            agentOf[i] = random.nextInt(agents.length);
            assertThat(remembered.putIfAbsent(agents[agentOf[i]], outcome("id-" + i, i))).isTrue();
            if (i % 1_000 == 999) {
                remembered.forget(T0, cap);
                int oldestKept = Math.max(0, i + 1 - cap);
                assertThat(remembered.size()).isEqualTo(i + 1 - oldestKept);
                for (int j = Math.max(0, oldestKept - 2_000); j <= i; j++) {
                    Outcome found = remembered.get(agents[agentOf[j]], "id-" + j);
                    if (j < oldestKept) {
                        assertThat(found).as("id-%d, forgotten", j).isNull();
                    } else {
                        assertThat(found).as("id-%d, remembered", j).isNotNull();
                        assertThat(found.authorizationId()).isEqualTo("id-" + j);
                    }
                }
            }
        }
        remembered.forget(T0.plusSeconds(total), cap);
        assertThat(remembered.size()).isZero();
        assertThat(remembered.get(agents[agentOf[total - 1]], "id-" + (total - 1))).isNull();
    }
}
