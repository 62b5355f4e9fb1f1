package dev.asr.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runnable jar's demo, as a separate process: it starts, prints rates, exits 0 and resumes on its data. */
class DemoIntegrationTest {

    private static final Pattern RATE_LINE = Pattern.compile(
            "\\[\\d\\d:\\d\\d] asr\\.spend\\.v1 +(\\d+\\.\\d) ev/s +\\(([\\d,]+)\\) +asr\\.outcomes\\.v1 +(\\d+\\.\\d) ev/s +\\(([\\d,]+)\\) +failed 0");
    private static final Pattern SUMMARY = Pattern.compile("Stopped: ([\\d,]+) spend and ([\\d,]+) outcome events acknowledged by Kafka, 0 failed");

    @TempDir
    Path data;

    @Test
    void startsPrintsRatesExitsZeroAndResumesOnTheSameData() throws Exception {
        Run first = demo("--duration", "12s", "--progress-interval", "2s", "--rate", "300", "--seed", "7");
        assertThat(first.exitCode).as(first.output).isZero();
        assertThat(first.output).contains("Kafka broker     localhost:", "Data             new data directory");
        List<Double> spendRates = new ArrayList<>();
        Matcher rate = RATE_LINE.matcher(first.output);
        while (rate.find()) {
            spendRates.add(Double.parseDouble(rate.group(1)));
        }
        assertThat(spendRates).as(first.output).hasSizeGreaterThanOrEqualTo(4).allSatisfy(r -> assertThat(r).isPositive());
        Matcher summary = SUMMARY.matcher(first.output);
        assertThat(summary.find()).as(first.output).isTrue();
        long spend = Long.parseLong(summary.group(1).replace(",", ""));
        long outcomes = Long.parseLong(summary.group(2).replace(",", ""));
        assertThat(spend).isGreaterThan(1_000);

        Run second = demo("--duration", "3s", "--progress-interval", "1s");
        assertThat(second.exitCode).as(second.output).isZero();
        assertThat(second.output).contains(String.format("resuming: asr.spend.v1 holds %,d records; asr.outcomes.v1 holds %,d records",
                spend, outcomes));
    }

    private Run demo(String... flags) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(javaBinary(), "-Xmx512m", "-jar", jar().toString(), "demo",
                "--port", "0", "--streams-metrics-port", "0", "--exporter-port", "0", "--data-dir", data.toString()));
        command.addAll(List.of(flags));
        Path log = Files.createTempFile("demo", ".log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("demo did not exit within 120 s:\n" + Files.readString(log));
        }
        return new Run(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private static Path jar() {
        Path jar = Path.of("target", "asr.jar");
        assertThat(jar).as("the shaded jar is built in the package phase, before integration tests").exists();
        return jar;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    private record Run(int exitCode, String output) {}
}
