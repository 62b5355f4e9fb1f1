package dev.asr.schemas.registry;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How a service reaches its schema registry.
 *
 * @param url {@code http(s)://...} for a Confluent-compatible registry, or {@code embedded:<dir>}
 *     for the file-based embedded registry ({@code schema.registry.url})
 * @param basicAuthUserInfo {@code user:password} ({@code schema.registry.basic.auth.user.info})
 * @param autoRegister register schemas on first write ({@code schema.registry.auto.register},
 *     default true)
 * @param timeout per-request timeout ({@code schema.registry.timeout.ms}, default 10000)
 */
public record RegistrySettings(String url, Optional<String> basicAuthUserInfo, boolean autoRegister, Duration timeout) {

    public static final String EMBEDDED_PREFIX = "embedded:";

    public static RegistrySettings embedded(Path directory) {
        return new RegistrySettings(EMBEDDED_PREFIX + directory, Optional.empty(), true, Duration.ofSeconds(10));
    }

    public static RegistrySettings from(Map<String, String> settings) {
        String url = settings.get("schema.registry.url");
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("schema.registry.url is not set: give the registry's URL"
                    + " (e.g. http://registry:8081) or embedded:<directory> for the embedded registry");
        }
        String timeout = settings.getOrDefault("schema.registry.timeout.ms", "10000");
        long timeoutMs;
        try {
            timeoutMs = Long.parseLong(timeout.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("schema.registry.timeout.ms='" + timeout + "' is not a number of milliseconds");
        }
        String autoRegister = settings.getOrDefault("schema.registry.auto.register", "true").trim();
        if (!autoRegister.equals("true") && !autoRegister.equals("false")) {
            throw new IllegalArgumentException("schema.registry.auto.register='" + autoRegister + "' must be true or false");
        }
        return new RegistrySettings(url.trim(), Optional.ofNullable(settings.get("schema.registry.basic.auth.user.info")),
                Boolean.parseBoolean(autoRegister), Duration.ofMillis(timeoutMs));
    }

    public SchemaRegistry open() {
        if (url.startsWith(EMBEDDED_PREFIX)) {
            return new EmbeddedSchemaRegistry(Path.of(url.substring(EMBEDDED_PREFIX.length())));
        }
        return new RestSchemaRegistry(url, basicAuthUserInfo, autoRegister, timeout);
    }
}
