package dev.asr.schemas.ops;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

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

    /**
     * Answers {@code /healthz} and {@code /readyz} (with {@code notReadyBecause}, null when ready) on
     * a JDK HTTP server, and 404 naming the paths for anything else; closes the exchange.
     */
    public static void serve(HttpExchange exchange, String notReadyBecause) throws IOException {
        try (exchange) {
            switch (exchange.getRequestURI().getPath()) {
                case "/healthz" -> reply(exchange, 200, alive());
                case "/readyz" -> reply(exchange, readinessStatus(notReadyBecause), readiness(notReadyBecause));
                default -> reply(exchange, 404, problem("not found: try /metrics, /healthz or /readyz"));
            }
        }
    }

    /** A JSON answer on a JDK HTTP server. */
    public static void reply(HttpExchange exchange, int status, ObjectNode body) throws IOException {
        byte[] bytes = (body + "\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
