#!/usr/bin/env python3
"""Asks before a spend, then reports one task of an agent to the ASR ingest gateway, with
Python's standard library only.

    python3 asr_report.py http://localhost:8080 "$ASR_INGEST_TOKEN" [fleet]
"""
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone


def call(gateway, token, path, body, content_type, attempts=10):
    """POSTs body and returns the JSON answer.

    429 and 503 mean "not now": wait Retry-After seconds and send the same body again; its ids
    (event_id, authorization_id) make the retry safe: what Kafka already has counts once, and an
    authorization asked again gets its first decision.
    """
    request = urllib.request.Request(gateway + path, data=body.encode("utf-8"), method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": content_type})
    for attempt in range(1, attempts + 1):
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            answer = json.load(error)
            if error.code in (429, 503) and attempt < attempts:
                time.sleep(int(error.headers.get("Retry-After", "5")))
                continue
            raise RuntimeError(f"POST {path} answered {error.code}: {answer}") from None


def post(gateway, token, path, records):
    """POSTs records as NDJSON: the answer is {"accepted": n, "rejected": n, "errors": [...]}."""
    body = "\n".join(json.dumps(record) for record in records)
    return call(gateway, token, path, body, "application/x-ndjson")


def authorize(gateway, token, request):
    """May the agent spend this much now? The answer's "decision" is ALLOW, REVIEW or DENY."""
    return call(gateway, token, "/v1/authorize", json.dumps(request), "application/json")


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def main(gateway, token, fleet="support"):
    agent, task = "py-" + fleet + "-bot-1", str(uuid.uuid4())
    common = {"agent_id": agent, "fleet": fleet, "task_id": task}
    spend = [
        {**common, "event_id": str(uuid.uuid4()), "kind": "INFERENCE", "cost_micros": 1800,
         "input_tokens": 1200, "output_tokens": 240, "model": "gpt-4.1-mini", "occurred_at": now()},
        {**common, "event_id": str(uuid.uuid4()), "kind": "TOOL_CALL", "cost_micros": 300,
         "tool": "crm-lookup", "occurred_at": now()},
    ]
    # A refund of 0.50 moves money: ask first, and spend only what is allowed.
    asked = authorize(gateway, token, {**common, "authorization_id": str(uuid.uuid4()),
                                       "amount_micros": 500_000, "kind": "TRANSACTION"})
    print("authorize:", asked["decision"], asked["reason"], "remaining", asked["remaining_micros"])
    if asked["decision"] == "ALLOW":
        spend.append({**common, "event_id": str(uuid.uuid4()), "kind": "TRANSACTION", "cost_micros": 500_000,
                      "authorization_id": asked["authorization_id"], "occurred_at": now()})
    print("spend:", post(gateway, token, "/v1/spend", spend))
    outcome = {**common, "event_id": str(uuid.uuid4()), "status": "SUCCEEDED",
               "value_micros": 4_000_000, "human_interventions": 0, "occurred_at": now()}
    print("outcome:", post(gateway, token, "/v1/outcomes", [outcome]))


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), *sys.argv[2:])
