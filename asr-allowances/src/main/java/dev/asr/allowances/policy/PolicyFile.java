package dev.asr.allowances.policy;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allowance policy as a file ({@code asr.allowance.policy-file}): Java properties with the
 * {@code asr.allowance.*} keys of {@link AllowancePolicy}, over those of the service's settings.
 * {@link #watch} reads it again whenever its content changes, and hands the new policy over; a file
 * that does not parse is logged with the key at fault and the policy in force is kept.
 */
public final class PolicyFile implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PolicyFile.class);

    private final Path file;
    private final Map<String, String> base;
    private final Consumer<AllowancePolicy> use;
    private final Thread thread;
    private volatile boolean running = true;
    private String content;
    private volatile String problem;

    private PolicyFile(Path file, Map<String, String> base, Consumer<AllowancePolicy> use, Duration every, String content) {
        this.file = file;
        this.base = Map.copyOf(base);
        this.use = use;
        this.content = content;
        this.thread = new Thread(() -> loop(every), "asr-allowance-policy");
        thread.setDaemon(true);
    }

    /** The policy of {@code base} settings with the file's keys over them; an error names the file and the key. */
    public static AllowancePolicy read(Path file, Map<String, String> base) {
        return parse(file, text(file), base);
    }

    /**
     * Checks the file every {@code every}, and gives {@code use} the policy each time its content
     * changed and parses.
     */
    public static PolicyFile watch(Path file, Map<String, String> base, Duration every, Consumer<AllowancePolicy> use) {
        PolicyFile watcher = new PolicyFile(file, base, use, every, text(file));
        watcher.thread.start();
        return watcher;
    }

    /** Why the file's present content is not in force, or null. */
    public String problem() {
        return problem;
    }

    private void loop(Duration every) {
        while (running) {
            try {
                Thread.sleep(every.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            check();
        }
    }

    /** Reads the file once; a new content that parses is handed over. */
    void check() {
        String now;
        try {
            now = text(file);
        } catch (IllegalArgumentException e) {
            if (problem == null || !problem.equals(e.getMessage())) {
                log.error("{}; the allowance policy in force is kept", e.getMessage());
            }
            problem = e.getMessage();
            return;
        }
        if (now.equals(content)) {
            return;
        }
        content = now;
        try {
            AllowancePolicy next = parse(file, now, base);
            use.accept(next);
            problem = null;
            log.info("Allowance policy reloaded from {}", file.toAbsolutePath());
        } catch (IllegalArgumentException e) {
            problem = e.getMessage();
            log.error("{}; the allowance policy in force is kept: fix the file", e.getMessage());
        }
    }

    private static String text(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the allowance policy file " + file.toAbsolutePath() + " (" + e
                    + "): check asr.allowance.policy-file");
        }
    }

    private static AllowancePolicy parse(Path file, String text, Map<String, String> base) {
        Properties properties = new Properties();
        try (Reader reader = new java.io.StringReader(text)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("allowance policy file " + file.toAbsolutePath() + " is not a properties file: "
                    + e.getMessage());
        }
        Map<String, String> settings = new HashMap<>(base);
        for (String key : properties.stringPropertyNames()) {
            settings.put(key, properties.getProperty(key).trim());
        }
        try {
            return AllowancePolicy.from(settings);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("allowance policy file " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
