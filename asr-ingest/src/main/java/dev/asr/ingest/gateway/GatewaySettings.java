package dev.asr.ingest.gateway;

import dev.asr.ingest.sdk.AsrClientSettings;
import dev.asr.otel.receiver.OtlpSettings;
import dev.asr.schemas.SettingValues;
import dev.asr.schemas.rules.EventRules;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Every setting of the HTTP gateway, typed, with its default.
 *
 * @param host the address it listens on ({@code asr.ingest.host}, 0.0.0.0: every interface;
 *     127.0.0.1 for this machine only)
 * @param port where it listens ({@code asr.ingest.port}, 8080; 0 any free port)
 * @param tokensFile the bearer tokens, hashed, and the fleets each may write ({@code
 *     asr.ingest.tokens-file}; required by {@link IngestGateway#start(GatewaySettings)})
 * @param maxBodyBytes larger bodies are refused with 413 ({@code asr.ingest.max-body}, 5MB)
 * @param threads requests parsed and waiting for Kafka at once, each on its own thread ({@code
 *     asr.ingest.threads}, 32); bodies are read without holding one
 * @param maxRequests requests under way at once, bodies still arriving included; more get 429. With
 *     {@code maxBodyBytes} this bounds the memory bodies take ({@code asr.ingest.max-requests}, 128)
 * @param maxRequestsPerToken of those, at most this many of one token, so one client's slow or many
 *     requests cannot starve another's ({@code asr.ingest.max-requests-per-token}, 64)
 * @param bodyTimeout a request's whole body must arrive within this, else 408 and the connection
 *     is closed ({@code asr.ingest.body-timeout}, 30s)
 * @param events the rules every record must follow, with the deployment's currency and how far
 *     ahead {@code occurred_at} may be ({@code asr.currency}, USD; {@code asr.max-clock-skew}, 5m)
 * @param retryAfter the {@code Retry-After} of 429 and 503 answers ({@code asr.ingest.retry-after}, 5s)
 * @param stateUrl where the read API gets the figures per view: any {@code asr streams} instance's
 *     own port, e.g. {@code http://asr-streams:9401}, which routes to the instance owning the agent
 *     ({@code asr.ingest.state-url}; unset: the read API shows allowances only)
 * @param otlp how {@code POST /v1/traces} maps spans and prices model calls ({@code asr.otel.*}, see {@link OtlpSettings})
 * @param client how records reach Kafka: the SDK's settings, with short timeouts so a Kafka outage
 *     becomes a 503 in seconds, not minutes ({@code asr.client.*}, Kafka producer keys)
 */
public record GatewaySettings(String host, int port, Path tokensFile, int maxBodyBytes, int threads, int maxRequests,
        int maxRequestsPerToken, Duration bodyTimeout, EventRules events, Duration retryAfter, URI stateUrl, OtlpSettings otlp, AsrClientSettings client) {

    public GatewaySettings {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("asr.ingest.port must be 0-65535, got " + port);
        }
        if (maxBodyBytes < 1) {
            throw new IllegalArgumentException("asr.ingest.max-body must be positive, got " + maxBodyBytes);
        }
        if (threads < 1 || maxRequests < 1 || maxRequestsPerToken < 1) {
            throw new IllegalArgumentException("asr.ingest.threads (" + threads + "), asr.ingest.max-requests (" + maxRequests
                    + ") and asr.ingest.max-requests-per-token (" + maxRequestsPerToken + ") must each be at least 1");
        }
        if (bodyTimeout.isNegative() || bodyTimeout.isZero()) {
            throw new IllegalArgumentException("asr.ingest.body-timeout must be positive, got " + bodyTimeout);
        }
    }

    /** The same settings listening on another port. */
    public GatewaySettings withPort(int newPort) {
        return new GatewaySettings(host, newPort, tokensFile, maxBodyBytes, threads, maxRequests, maxRequestsPerToken, bodyTimeout, events,
                retryAfter, stateUrl, otlp, client);
    }

    public static GatewaySettings from(Map<String, String> settings) {
        String tokens = settings.get("asr.ingest.tokens-file");
        Map<String, String> client = new HashMap<>(settings);
        client.putIfAbsent("asr.client.when-full", "fail");
        client.putIfAbsent("max.block.ms", "3000");
        client.putIfAbsent("request.timeout.ms", "5000");
        client.putIfAbsent("delivery.timeout.ms", "10000");
        EventRules events = EventRules.from(settings);
        return new GatewaySettings(
                settings.getOrDefault("asr.ingest.host", "0.0.0.0").trim(),
                SettingValues.integer(settings, "asr.ingest.port", 8080),
                tokens == null || tokens.isBlank() ? null : Path.of(tokens.trim()),
                (int) Math.min(Integer.MAX_VALUE - 8, SettingValues.bytes(settings, "asr.ingest.max-body", "5MB")),
                SettingValues.integer(settings, "asr.ingest.threads", 32),
                SettingValues.integer(settings, "asr.ingest.max-requests", 128),
                SettingValues.integer(settings, "asr.ingest.max-requests-per-token", 64),
                SettingValues.duration(settings, "asr.ingest.body-timeout", "30s"),
                events,
                SettingValues.duration(settings, "asr.ingest.retry-after", "5s"),
                stateUrl(settings.getOrDefault("asr.ingest.state-url", "")),
                OtlpSettings.from(settings, events.currency()),
                AsrClientSettings.from(client));
    }

    private static URI stateUrl(String given) {
        String url = given.trim();
        if (url.isEmpty()) {
            return null;
        }
        try {
            URI uri = new URI(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            if (!"http".equals(uri.getScheme()) || uri.getHost() == null || (uri.getPath() != null && !uri.getPath().isEmpty())) {
                throw new URISyntaxException(url, "not http://host:port");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("asr.ingest.state-url=" + given + " is not a base URL like http://asr-streams:9401"
                    + " (an asr streams instance's asr.streams.metrics-port)");
        }
    }
}
