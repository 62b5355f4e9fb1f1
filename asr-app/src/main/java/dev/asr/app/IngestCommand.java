package dev.asr.app;

import dev.asr.allowances.policy.PolicyFile;
import dev.asr.allowances.service.AllowanceService;
import dev.asr.allowances.service.AllowanceSettings;
import dev.asr.allowances.service.DecisionsTopic;
import dev.asr.ingest.gateway.GatewaySettings;
import dev.asr.ingest.gateway.IngestGateway;
import dev.asr.ingest.gateway.Tokens;
import dev.asr.schemas.TopicNames;
import dev.asr.schemas.TopicProvisioner;
import dev.asr.schemas.Topics;
import dev.asr.schemas.registry.RegistrySettings;
import dev.asr.schemas.registry.SchemaRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The HTTP ingest gateway against any Kafka cluster, until stopped; or a tokens-file line for a token. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {"Serve the HTTP ingest gateway (default port 8080): POST /v1/spend and /v1/outcomes as JSON, for agents in any language.",
            "Tokens: 'asr ingest --new-token FLEETS' makes one and prints its tokens-file line; 'asr ingest --hash-token FLEETS'"
                    + " reads your own token from standard input."})
final class IngestCommand implements Callable<Integer> {

    /** How often the allowance policy file is checked for a change. */
    private static final Duration POLICY_CHECK = Duration.ofSeconds(5);

    @Spec
    CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--port", description = "Listen on this port; 0 picks a free one (default: 8080, or asr.ingest.port).")
    Integer port;

    @Option(names = "--tokens-file", paramLabel = "FILE",
            description = "Lines of '<sha256 hex of a token> <fleet>[,<fleet>...]' ('*' for any fleet); overrides asr.ingest.tokens-file.")
    Path tokensFile;

    @Option(names = "--new-token", paramLabel = "FLEETS",
            description = "Print a new random token and the tokens-file line granting it these fleets (comma-separated, or '*'), then exit.")
    String newTokenFleets;

    @Option(names = "--hash-token", paramLabel = "FLEETS",
            description = "Read a token from standard input and print the tokens-file line granting it these fleets, then exit.")
    String hashTokenFleets;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (newTokenFleets != null) {
            String token = newToken();
            out.println("token: " + token);
            out.println("tokens-file line (the file keeps only the hash):");
            out.println(Tokens.line(token, fleets(newTokenFleets)));
            return 0;
        }
        if (hashTokenFleets != null) {
            String token = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("--hash-token reads the token from standard input, and got nothing:"
                        + " e.g. printf '%s' \"$TOKEN\" | asr ingest --hash-token support");
            }
            out.println(Tokens.line(token.strip(), fleets(hashTokenFleets)));
            return 0;
        }
        Map<String, String> flags = new HashMap<>();
        flags.put("asr.ingest.port", port == null ? null : port.toString());
        flags.put("asr.ingest.tokens-file", tokensFile == null ? null : tokensFile.toString());
        Map<String, String> settings = cluster.settings(flags);
        Map<String, Object> clientConfig = SettingsLoader.kafkaClientConfig(settings);
        GatewaySettings gatewaySettings = GatewaySettings.from(settings);
        AllowanceSettings allowanceSettings = AllowanceSettings.from(allowanceKeys(settings));
        Lifetime lifetime = new Lifetime();
        try (SchemaRegistry registry = RegistrySettings.from(settings).open()) {
            Topics topics = Topics.create(TopicNames.from(settings), registry);
            cluster.provisionTopics(clientConfig, topics, false);
            if (cluster.createTopicsPartitions != null) {
                try (Admin admin = Admin.create(clientConfig)) {
                    int brokers = admin.describeCluster().nodes().get().size();
                    DecisionsTopic.ensure(admin, allowanceSettings, cluster.createTopicsPartitions,
                            TopicProvisioner.Replication.forCluster(brokers).factor());
                }
            }
            try (AllowanceService allowances = AllowanceService.start(allowanceSettings, clientConfig, topics, registry, Clock.systemUTC());
                 PolicyFile policyFile = allowanceSettings.policyFile() == null ? null : PolicyFile.watch(allowanceSettings.policyFile(),
                         allowanceSettings.policySettings(), POLICY_CHECK, allowances::usePolicy);
                 IngestGateway gateway = IngestGateway.start(gatewaySettings, allowances)) {
                out.printf("ASR ingest gateway: %s/v1/spend -> %s, %s/v1/outcomes -> %s (OpenAPI at /openapi.json; tokens from %s)%n",
                        gateway.url(), gatewaySettings.client().topics().spend(), gateway.url(), gatewaySettings.client().topics().outcomes(),
                        gatewaySettings.tokensFile().toAbsolutePath());
                out.printf("  POST %s/v1/authorize: spending decisions by band (decisions in %s)%n", gateway.url(),
                        allowanceSettings.decisionsTopic());
                if (allowanceSettings.shared()) {
                    out.printf("  deciding with the other gateways of group %s: each decides for its share of %s's partitions and forwards"
                            + " the rest; the others reach this one at %s%n", allowanceSettings.group(), allowanceSettings.decisionsTopic(),
                            allowanceSettings.advertisedUrl());
                } else {
                    out.printf("  this gateway decides for every agent: run one, or set asr.allowance.advertised-url on each of several%n");
                }
                if (policyFile != null) {
                    out.printf("  allowance policy from %s, read again within %d s of a change%n",
                            allowanceSettings.policyFile().toAbsolutePath(), POLICY_CHECK.toSeconds());
                }
                out.flush();
                lifetime.await(null);
            }
            return 0;
        } finally {
            lifetime.shutDown();
        }
    }

    /** The allowance keys (asr.allowance.*, asr.topic.decisions, asr.topic.allowance-events): the policy refuses keys it does not know. */
    private static Map<String, String> allowanceKeys(Map<String, String> settings) {
        Map<String, String> keys = new HashMap<>();
        settings.forEach((key, value) -> {
            if (key.startsWith("asr.allowance.") || key.equals("asr.topic.decisions") || key.equals("asr.topic.allowance-events")) {
                keys.put(key, value);
            }
        });
        return keys;
    }

    private static String fleets(String list) {
        String trimmed = list.replace(" ", "");
        if (!trimmed.matches("\\*|[^,*]+(,[^,*]+)*")) {
            throw new IllegalArgumentException("fleets '" + list + "' must be '*' or names separated by commas, e.g. support,sales");
        }
        return trimmed;
    }

    static String newToken() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return "asr_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
