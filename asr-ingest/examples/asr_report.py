#!/usr/bin/env python3
"""Reports one task of an agent to the ASR ingest gateway, with Python's standard library only.

    python3 asr_report.py http://localhost:8080 "$ASR_INGEST_TOKEN" [fleet]
"""
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timezone


def post(gateway, token, path, records, attempts=10):
    """POSTs records as NDJSON and returns the answer ({"accepted": n, "rejected": n, "errors": [...]}).

    429 and 503 mean "not now": wait Retry-After seconds and send the same records again; their
    event ids make the retry safe (a record Kafka already has counts once).
    """
    body = "\n".join(json.dumps(record) for record in records).encode("utf-8")
    request = urllib.request.Request(gateway + path, data=body, method="POST", headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/x-ndjson"})
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
    print("spend:", post(gateway, token, "/v1/spend", spend))
    outcome = {**common, "event_id": str(uuid.uuid4()), "status": "SUCCEEDED",
               "value_micros": 4_000_000, "human_interventions": 0, "occurred_at": now()}
    print("outcome:", post(gateway, token, "/v1/outcomes", [outcome]))


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), *sys.argv[2:])
