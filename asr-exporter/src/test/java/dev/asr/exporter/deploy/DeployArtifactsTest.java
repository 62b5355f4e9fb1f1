package dev.asr.exporter.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.yaml.snakeyaml.Yaml;

/** deploy/ checked with the tools that will run it: promtool on the rules, their tests, the config and every dashboard query. */
class DeployArtifactsTest {

    private static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
    private static final Path PROMETHEUS = DEPLOY.resolve("prometheus");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    @Test
    void alertAndRecordingRulesAreValid() throws Exception {
        Promtool.Result result = Promtool.run(PROMETHEUS, "check", "rules", "asr-rules.yml");
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS: 14 rules found");
    }

    @Test
    void everyAlertFiresAndStaysQuietWhereItsTestsSay() throws Exception {
        Promtool.Result result = Promtool.run(PROMETHEUS, "test", "rules", "tests/asr-rules.test.yml");
        assertThat(result.exitCode()).as(result.output()).isZero();
        assertThat(result.output()).contains("SUCCESS");
    }

    @Test
    void everyAlertHasSeverityStaticSummaryTemplatedDescriptionAndARunbookSection() throws Exception {
        JsonNode rules = YAML.readTree(PROMETHEUS.resolve("asr-rules.yml").toFile());
        String runbook = Files.readString(DEPLOY.resolve("runbook.md")).toLowerCase();
        List<String> alerts = new ArrayList<>();
        JsonNode tests = YAML.readTree(PROMETHEUS.resolve("tests/asr-rules.test.yml").toFile());
        String testText = tests.toString();
        for (JsonNode group : rules.get("groups")) {
            for (JsonNode rule : group.get("rules")) {
                if (!rule.has("alert")) {
                    continue;
                }
                String name = rule.get("alert").asText();
                alerts.add(name);
                assertThat(rule.at("/labels/severity").asText()).as(name).isIn("critical", "warning", "info");
                assertThat(rule.at("/annotations/summary").asText()).as(name + " summary is static").isNotBlank().doesNotContain("{{");
                assertThat(rule.at("/annotations/description").asText()).as(name + " description is templated").contains("{{");
                String url = rule.at("/annotations/runbook_url").asText();
                assertThat(url).as(name + ": a path in this repository, not a site that may not exist").startsWith("deploy/runbook.md#");
                assertThat(DEPLOY.getParent().resolve(url.substring(0, url.indexOf('#')))).as(name + " runbook file").exists();
                assertThat(runbook).as("runbook section for " + name).contains("## " + url.substring(url.indexOf('#') + 1));
                assertThat(testText).as("promtool tests of " + name).contains("\"alertname\":\"" + name + "\"");
            }
        }
        assertThat(alerts).contains("AsrFleetBandDrop", "AsrAgentLeftSelfDirected", "AsrBelowTarget", "AsrPipelineStalled", "AsrExporterDown",
                "AsrAllowanceFastBurn", "AsrAllowanceSlowBurn", "AsrAllowanceExhausted", "AsrTopologyNotProcessing", "AsrTopologyLagging");
    }

    @Test
    void thePrometheusConfigIsValidAsShipped() throws Exception {
        // The file in the repository, unchanged: what a user runs promtool on, and what compose mounts.
        for (String config : List.of("prometheus.yml", "demo.yml", "cluster-a.yml", "cluster-b.yml")) {
            Promtool.Result result = Promtool.run(PROMETHEUS, "check", "config", config);
            assertThat(result.exitCode()).as(config + ": " + result.output()).isZero();
            assertThat(result.output()).as(config).contains("SUCCESS: 1 rule files found");
        }
    }

    @Test
    void theDashboardIsPortableAndEveryQueryParses(@TempDir Path directory) throws Exception {
        JsonNode dashboard = JSON.readTree(DEPLOY.resolve("grafana/dashboards/asr-overview.json").toFile());
        assertThat(dashboard.has("__inputs")).as("no __inputs: provisioned as is").isFalse();
        List<String> variables = new ArrayList<>();
        dashboard.at("/templating/list").forEach(v -> variables.add(v.get("name").asText() + ":" + v.get("type").asText()));
        assertThat(variables).contains("datasource:datasource", "fleet:query", "agent:query");

        List<String> queries = new ArrayList<>();
        for (JsonNode panel : dashboard.get("panels")) {
            if (panel.get("type").asText().equals("row")) {
                continue;
            }
            assertThat(panel.at("/datasource/uid").asText()).as(panel.get("title").asText()).isEqualTo("${datasource}");
            for (JsonNode target : panel.get("targets")) {
                queries.add(target.get("expr").asText());
            }
        }
        dashboard.at("/annotations/list").forEach(a -> queries.add(a.get("expr").asText()));
        assertThat(queries).hasSizeGreaterThan(10);

        // Each query as a recording rule: promtool parses it as Prometheus will.
        ObjectNode file = YAML.createObjectNode();
        ArrayNode rules = file.putArray("groups").addObject().put("name", "dashboard").putArray("rules");
        for (int i = 0; i < queries.size(); i++) {
            String expr = queries.get(i).replace("$fleet", ".*").replace("$agent", ".*").replace("$__rate_interval", "5m")
                    .replace("$__interval", "1m");
            rules.addObject().put("record", "dashboard:query_" + i).put("expr", expr);
        }
        Path rulesFile = directory.resolve("dashboard-queries.yml");
        YAML.writeValue(rulesFile.toFile(), file);
        Promtool.Result result = Promtool.run(directory, "check", "rules", rulesFile.toString());
        assertThat(result.exitCode()).as(result.output()).isZero();
    }

    @Test
    void theKubernetesComposeAndProvisioningFilesAreYaml() throws Exception {
        try (Stream<Path> files = Files.walk(DEPLOY)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yml") || f.toString().endsWith(".yaml")).toList()) {
                try (var parser = YAML.getFactory().createParser(file.toFile())) {
                    List<JsonNode> documents = YAML.readValues(parser, JsonNode.class).readAll();
                    assertThat(documents).as(file.toString()).isNotEmpty().allSatisfy(d -> assertThat(d.isObject()).isTrue());
                }
            }
        }
        try (var parser = YAML.getFactory().createParser(DEPLOY.resolve("kubernetes/asr.yaml").toFile())) {
            List<String> probed = new java.util.ArrayList<>();
            for (JsonNode document : YAML.readValues(parser, JsonNode.class).readAll()) {
                for (JsonNode container : document.at("/spec/template/spec/containers")) {
                    assertThat(container.at("/livenessProbe/httpGet/path").asText()).as("%s liveness", container.path("name")).isEqualTo("/healthz");
                    assertThat(container.at("/readinessProbe/httpGet/path").asText()).as("%s readiness", container.path("name")).isEqualTo("/readyz");
                    probed.add(container.path("name").asText());
                }
            }
            assertThat(probed).containsExactlyInAnyOrder("streams", "exporter", "ingest");
        }
        JsonNode compose = YAML.readTree(DEPLOY.resolve("compose/docker-compose.yml").toFile());
        assertThat(compose.get("services").fieldNames()).toIterable()
                .contains("kafka", "schema-registry", "asr-ingest", "asr-streams", "asr-exporter", "prometheus", "grafana");
        compose.get("services").fields().forEachRemaining(service -> {
            JsonNode spec = service.getValue();
            assertThat(spec.path("restart").asText()).as("%s restarts", service.getKey()).isEqualTo("unless-stopped");
            spec.path("depends_on").fields().forEachRemaining(dependency -> assertThat(dependency.getValue().path("condition").asText())
                    .as("%s waits for %s to be healthy", service.getKey(), dependency.getKey()).isEqualTo("service_healthy"));
            if (!service.getKey().equals("asr-simulator") && !service.getKey().equals("prometheus") && !service.getKey().equals("grafana")) {
                assertThat(spec.path("healthcheck").path("test").isArray()).as("%s has a health check", service.getKey()).isTrue();
                assertThat(spec.path("healthcheck").path("interval").asText()).as("%s: probe timing from the anchor", service.getKey())
                        .isEqualTo("10s");
            }
        });
        assertThat(compose.at("/services/asr-exporter/healthcheck/test").toString()).contains("/readyz", "9400");
        assertThat(compose.at("/services/asr-ingest/healthcheck/test").toString()).contains("/readyz", "8080");
        assertThat(compose.at("/services/asr-streams/healthcheck/test").toString()).contains("/readyz", "9401");
    }

    /**
     * The scaled-out compose file, read with its anchors and merge keys resolved (as compose reads
     * it): three KRaft nodes of one cluster, each in the quorum, replicated internal topics; two
     * topology instances of one application with standby replicas and their own static member ids
     * and state volumes; two exporters, each scraped by its own Prometheus.
     */
    @Test
    @SuppressWarnings("unchecked")
    void theClusterComposeFileRunsThreeBrokersTwoTopologyInstancesAndTwoExporters() throws Exception {
        Map<String, Object> compose;
        try (var reader = Files.newBufferedReader(DEPLOY.resolve("compose/cluster.yml"))) {
            compose = new Yaml().load(reader);
        }
        Map<String, Map<String, Object>> services = (Map<String, Map<String, Object>>) compose.get("services");
        Set<String> clusterIds = new HashSet<>();
        for (int node = 1; node <= 3; node++) {
            Map<String, Object> env = (Map<String, Object>) services.get("kafka-" + node).get("environment");
            assertThat(env.get("KAFKA_NODE_ID")).isEqualTo(Integer.toString(node));
            assertThat(env.get("KAFKA_ADVERTISED_LISTENERS")).isEqualTo("PLAINTEXT://kafka-" + node + ":9092");
            assertThat(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS")).isEqualTo("1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093");
            assertThat(env).containsEntry("KAFKA_MIN_INSYNC_REPLICAS", "2").containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2");
            clusterIds.add((String) env.get("CLUSTER_ID"));
            assertThat(services.get("kafka-" + node).get("volumes").toString()).contains("kafka-" + node + "-data");
        }
        assertThat(clusterIds).as("one cluster id").hasSize(1);
        Set<Object> memberIds = new HashSet<>();
        for (int instance = 1; instance <= 2; instance++) {
            Map<String, Object> streams = services.get("asr-streams-" + instance);
            Map<String, Object> env = (Map<String, Object>) streams.get("environment");
            assertThat(streams.get("command").toString()).contains("streams");
            assertThat(env.get("ASR_BOOTSTRAP_SERVERS")).isEqualTo("kafka-1:9092,kafka-2:9092,kafka-3:9092");
            assertThat(env).containsEntry("ASR_KAFKA_NUM_STANDBY_REPLICAS", "1").containsKey("ASR_KAFKA_GROUP_INSTANCE_ID");
            memberIds.add(env.get("ASR_KAFKA_GROUP_INSTANCE_ID"));
            assertThat(streams.get("volumes").toString()).contains("streams-" + instance + "-state");
            assertThat(streams.get("healthcheck").toString()).contains("/readyz", "9401");
        }
        assertThat(memberIds).as("a static member id per instance").hasSize(2);
        for (String exporter : List.of("asr-exporter-1", "asr-exporter-2")) {
            assertThat(services.get(exporter).get("command").toString()).contains("exporter");
        }
        assertThat(services.get("prometheus-a").get("volumes").toString()).contains("cluster-a.yml");
        assertThat(services.get("prometheus-b").get("volumes").toString()).contains("cluster-b.yml");
        services.forEach((name, spec) -> assertThat(spec.get("restart")).as("%s restarts", name).isEqualTo("unless-stopped"));
        assertThat(Files.readString(DEPLOY.resolve("prometheus/cluster-a.yml"))).contains("asr-exporter-1:9400")
                .doesNotContain("asr-exporter-2");
        assertThat(Files.readString(DEPLOY.resolve("prometheus/cluster-b.yml"))).contains("asr-exporter-2:9400")
                .doesNotContain("asr-exporter-1");
    }

    /**
     * The topology's StatefulSet as issue 12 asks: static membership from the pod's name, standbys,
     * a PodDisruptionBudget; two deciding gateways.
     */
    @Test
    void theKubernetesTopologyHasStaticMembershipStandbysAndADisruptionBudget() throws Exception {
        List<JsonNode> documents;
        try (var parser = YAML.getFactory().createParser(DEPLOY.resolve("kubernetes/asr.yaml").toFile())) {
            documents = YAML.readValues(parser, JsonNode.class).readAll();
        }
        JsonNode config = documents.stream().filter(d -> d.path("kind").asText().equals("ConfigMap")).findFirst().orElseThrow();
        assertThat(config.at("/data/ASR_KAFKA_NUM_STANDBY_REPLICAS").asText()).isEqualTo("1");
        JsonNode streams = documents.stream().filter(d -> d.path("kind").asText().equals("StatefulSet")
                && d.at("/metadata/name").asText().equals("asr-streams")).findFirst().orElseThrow();
        assertThat(streams.at("/spec/template/spec/containers/0/env").toString()).contains("ASR_KAFKA_GROUP_INSTANCE_ID", "$(POD_NAME)");
        assertThat(streams.at("/spec/template/spec/containers/0/startupProbe/httpGet/path").asText()).isEqualTo("/healthz");
        assertThat(streams.at("/spec/volumeClaimTemplates/0/metadata/name").asText()).isEqualTo("state");
        JsonNode budget = documents.stream().filter(d -> d.path("kind").asText().equals("PodDisruptionBudget")).findFirst().orElseThrow();
        assertThat(budget.at("/spec/selector/matchLabels/app").asText()).isEqualTo("asr-streams");
        assertThat(budget.at("/spec/maxUnavailable").asInt()).isEqualTo(1);
        JsonNode exporter = documents.stream().filter(d -> d.path("kind").asText().equals("StatefulSet")
                && d.at("/metadata/name").asText().equals("asr-exporter")).findFirst().orElseThrow();
        assertThat(exporter.at("/spec/replicas").asInt()).isEqualTo(2);
        // Several gateways decide together only when each advertises where the others reach it.
        JsonNode ingest = documents.stream().filter(d -> d.path("kind").asText().equals("Deployment")
                && d.at("/metadata/name").asText().equals("asr-ingest")).findFirst().orElseThrow();
        assertThat(ingest.at("/spec/replicas").asInt()).isEqualTo(2);
        assertThat(ingest.at("/spec/template/spec/containers/0/env").toString()).contains("ASR_ALLOWANCE_ADVERTISED_URL",
                "http://$(POD_IP):8080", "status.podIP");
    }
}
