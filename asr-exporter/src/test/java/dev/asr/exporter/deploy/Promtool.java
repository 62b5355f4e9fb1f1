package dev.asr.exporter.deploy;

import dev.asr.schemas.testing.RealPrometheus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs Prometheus's promtool (Debian package prometheus; .ci/run installs it). */
public final class Promtool {

    public record Result(int exitCode, String output) {}

    private Promtool() {}

    public static Result run(Path workingDirectory, String... args) throws IOException, InterruptedException {
        return run(workingDirectory, null, args);
    }

    public static Result run(Path workingDirectory, byte[] stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary("promtool"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(workingDirectory.toFile()).redirectErrorStream(true).start();
        if (stdin != null) {
            process.getOutputStream().write(stdin);
        }
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("promtool " + String.join(" ", args) + " did not finish within 60 s");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }

    /** The path of a Prometheus binary, or an error that says how to install it. */
    public static String binary(String name) {
        return RealPrometheus.binary(name);
    }
}
