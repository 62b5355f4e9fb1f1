package dev.asr.schemas.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The one health convention of the three services. {@code /healthz}: 200 while the process serves
 * (liveness; it never asks Kafka, so a broker outage restarts nothing). {@code /readyz}: 200 {@code
 * {"status":"ready"}} when the service does its work, else 503 {@code {"status":"not ready",
 * "reason":"..."}} naming what stands in the way and the fix.
 */
public final class Health {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Health() {}

    /** The {@code /healthz} body. */
    public static ObjectNode alive() {
        return JSON.createObjectNode().put("status", "ok");
    }

    /** The {@code /readyz} body: ready when {@code reason} is null. */
    public static ObjectNode readiness(String reason) {
        ObjectNode body = JSON.createObjectNode().put("status", reason == null ? "ready" : "not ready");
        if (reason != null) {
            body.put("reason", reason);
        }
        return body;
    }

    /** An error answer's body: {@code {"error": "..."}}. */
    public static ObjectNode problem(String message) {
        return JSON.createObjectNode().put("error", message);
    }

    /** The {@code /readyz} status code. */
    public static int readinessStatus(String reason) {
        return reason == null ? 200 : 503;
    }
}
