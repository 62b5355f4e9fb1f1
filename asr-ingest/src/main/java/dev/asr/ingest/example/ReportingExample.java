package dev.asr.ingest.example;

import dev.asr.ingest.sdk.AgentReporter;
import dev.asr.ingest.sdk.AsrClient;
import dev.asr.ingest.sdk.AsrClientSettings;
import dev.asr.ingest.sdk.TaskReport;
import dev.asr.schemas.registry.RegistrySettings;
import java.util.Map;

/**
 * How an agent runtime on the JVM reports to ASR: one client per process, one reporter per agent,
 * one report per task. Against the demo:
 *
 * <pre>
 * ./asr demo &amp;
 * java -cp asr-app/target/asr.jar dev.asr.ingest.example.ReportingExample localhost:9092 embedded:.asr/demo/schemas
 * </pre>
 */
public final class ReportingExample {

    private ReportingExample() {}

    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: ReportingExample <bootstrap servers> <schema registry url or embedded:<dir>>");
            System.exit(2);
        }
        AsrClientSettings settings = AsrClientSettings.of(args[0], RegistrySettings.from(Map.of("schema.registry.url", args[1])));
        try (AsrClient asr = AsrClient.create(settings)) {
            AgentReporter agent = asr.agent("example-support-bot", "examples");

            // A task the agent finished on its own: two model calls, a CRM lookup, $4 of labour saved.
            try (TaskReport task = agent.startTask()) {
                task.inference("gpt-4.1-mini", 1_800, 240, 1_100);     // tokens in, out; cost in micros ($0.0011)
                task.toolCall("crm-lookup", 300);
                task.inference("gpt-4.1-mini", 2_400, 410, 1_600);
                task.succeed(4_000_000, 0);                          // value in micros, no human stepped in
            }

            // A task a person had to rescue: their time is spend, and the intervention is counted.
            try (TaskReport task = agent.startTask()) {
                task.inference("gpt-4.1", 6_000, 900, 21_000);
                task.human(2_500_000);                               // ten minutes of an operator
                task.succeed(4_000_000, 1);
            }

            // A task that went nowhere: closing it without an outcome reports it ABANDONED.
            try (TaskReport task = agent.startTask()) {
                task.inference("gpt-4.1-mini", 900, 60, 500);
            }

            // Spend that serves no task.
            agent.idle(150);
            agent.overhead(80);

            asr.flush();
            System.out.printf("sent %d events, %d acknowledged by Kafka, %d failed%n", asr.accepted(), asr.acknowledged(), asr.failed());
        }
    }
}
