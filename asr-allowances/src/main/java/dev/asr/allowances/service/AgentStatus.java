package dev.asr.allowances.service;

import dev.asr.allowances.ledger.CashView;
import dev.asr.allowances.ledger.SpendRate;
import dev.asr.allowances.policy.BandAllowance;

/**
 * One agent's allowance as of now (SPEC §9): its cash view, its band's allowance, its burn rates in
 * micros per second over {@link SpendRate#WINDOWS} (same order), and the seconds until what remains
 * is spent at its present pace ({@code +Infinity}: it does not spend).
 */
public record AgentStatus(String fleet, String agentId, CashView cash, BandAllowance allowance, double[] burnMicrosPerSecond,
        double secondsToExhaustion) {}
