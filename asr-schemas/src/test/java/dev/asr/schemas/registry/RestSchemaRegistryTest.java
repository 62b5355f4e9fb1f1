package dev.asr.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.asr.event.SpendEvent;
import dev.asr.schemas.SampleEvents;
import dev.asr.schemas.serde.AvroSerde;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

class RestSchemaRegistryTest {

    private static final Schema V1 = SchemaBuilder.record("Thing").namespace("t").fields().requiredString("a").endRecord();
    private static final Schema V2 = SchemaBuilder.record("Thing").namespace("t").fields()
            .requiredString("a").name("b").type().stringType().stringDefault("x").endRecord();
    private static final Schema BREAKING = SchemaBuilder.record("Thing").namespace("t").fields()
            .requiredString("a").requiredLong("c").endRecord();

    @Test
    void registersThenFetchesByIdAndCachesBothWays() throws Exception {
        try (ConfluentRegistryStub stub = new ConfluentRegistryStub("", null)) {
            RestSchemaRegistry registry = client(stub.url(), Optional.empty(), true);
            int id = registry.register("things-value", V1);
            assertThat(registry.register("things-value", V1)).isEqualTo(id);
            assertThat(registry.schemaById(id)).contains(V1);
            assertThat(stub.requests).containsExactly("POST /subjects/things-value/versions");
            assertThat(stub.contentTypes).containsOnly("application/vnd.schemaregistry.v1+json");

            RestSchemaRegistry fresh = client(stub.url(), Optional.empty(), true);
            assertThat(fresh.schemaById(id)).contains(V1);
            assertThat(fresh.schemaById(id)).contains(V1);
            assertThat(stub.requests).containsExactly("POST /subjects/things-value/versions", "GET /schemas/ids/" + id);
        }
    }

    @Test
    void worksAgainstApicurioCcompatBasePath() throws Exception {
        try (ConfluentRegistryStub stub = new ConfluentRegistryStub("/apis/ccompat/v7", null)) {
            AvroSerde<SpendEvent> writer = AvroSerde.forValues(SpendEvent.class, client(stub.url() + "/", Optional.empty(), true));
            AvroSerde<SpendEvent> reader = AvroSerde.forValues(SpendEvent.class, client(stub.url(), Optional.empty(), true));
            byte[] bytes = writer.encode("asr.spend.v1", SampleEvents.spend());
            assertThat(reader.decode("asr.spend.v1", bytes)).isEqualTo(SampleEvents.spend());
            assertThat(stub.requests).containsExactly(
                    "POST /apis/ccompat/v7/subjects/asr.spend.v1-value/versions", "GET /apis/ccompat/v7/schemas/ids/1");
        }
    }

    @Test
    void sendsBasicAuthAndSaysWhichSettingToFixWhenRefused() throws Exception {
        String expected = "Basic " + Base64.getEncoder().encodeToString("svc:s3cret".getBytes());
        try (ConfluentRegistryStub stub = new ConfluentRegistryStub("", expected)) {
            assertThat(client(stub.url(), Optional.of("svc:s3cret"), true).register("s-value", V1)).isPositive();
            assertThatThrownBy(() -> client(stub.url(), Optional.of("svc:wrong"), true).register("s-value", V1))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessage("Schema Registry at " + stub.url() + " refused to register schema t.Thing under subject"
                            + " 's-value' (HTTP 401): check schema.registry.basic.auth.user.info")
                    .satisfies(e -> assertThat(((SchemaRegistryException) e).retriable()).isFalse());
        }
    }

    @Test
    void explainsAnIncompatibleSchemaRefusal() throws Exception {
        try (ConfluentRegistryStub stub = new ConfluentRegistryStub("", null)) {
            RestSchemaRegistry registry = client(stub.url(), Optional.empty(), true);
            registry.register("things-value", V1);
            assertThat(registry.register("things-value", V2)).isNotEqualTo(registry.register("things-value", V1));
            assertThatThrownBy(() -> registry.register("things-value", BREAKING))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("refused schema t.Thing under subject 'things-value'")
                    .hasMessageContaining("BACKWARD compatibility");
        }
    }

    @Test
    void looksUpWithoutRegisteringWhenAutoRegisterIsOff() throws Exception {
        try (ConfluentRegistryStub stub = new ConfluentRegistryStub("", null)) {
            RestSchemaRegistry lookupOnly = client(stub.url(), Optional.empty(), false);
            assertThatThrownBy(() -> lookupOnly.register("things-value", V1))
                    .isInstanceOf(SchemaRegistryException.class)
                    .hasMessageContaining("schema t.Thing is not registered under subject 'things-value'")
                    .hasMessageContaining("schema.registry.auto.register=true");
            int id = client(stub.url(), Optional.empty(), true).register("things-value", V1);
            assertThat(lookupOnly.register("things-value", V1)).isEqualTo(id);
            assertThat(stub.requests).contains("POST /subjects/things-value");
        }
    }

    @Test
    void unknownIdIsEmptyAndRememberedForAWhile() throws Exception {
        try (ConfluentRegistryStub stub = new ConfluentRegistryStub("", null)) {
            RestSchemaRegistry registry = client(stub.url(), Optional.empty(), true);
            assertThat(registry.schemaById(999)).isEmpty();
            assertThat(registry.schemaById(999)).isEmpty();
            assertThat(stub.requests).containsExactly("GET /schemas/ids/999");
        }
    }

    @Test
    void retriesServerErrors() throws Exception {
        try (ConfluentRegistryStub stub = new ConfluentRegistryStub("", null)) {
            stub.failuresToServe.set(2);
            assertThat(client(stub.url(), Optional.empty(), true).register("things-value", V1)).isPositive();
            assertThat(stub.requests).hasSize(3);
        }
    }

    @Test
    void saysTheRegistryIsUnreachableAndRetriable() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        RestSchemaRegistry registry = client("http://127.0.0.1:" + closedPort, Optional.empty(), true);
        assertThatThrownBy(() -> registry.schemaById(1))
                .isInstanceOf(SchemaRegistryException.class)
                .hasMessageStartingWith("cannot reach Schema Registry at http://127.0.0.1:" + closedPort + " (GET /schemas/ids/1)")
                .hasMessageEndingWith("Check schema.registry.url and that the registry is up")
                .satisfies(e -> assertThat(((SchemaRegistryException) e).retriable()).isTrue());
    }

    @Test
    void checkAsksForTheSubjectsAndNamesTheRegistryWhenItIsNotThere() throws Exception {
        String expected = "Basic " + Base64.getEncoder().encodeToString("svc:s3cret".getBytes());
        try (ConfluentRegistryStub stub = new ConfluentRegistryStub("/apis/ccompat/v7", expected)) {
            client(stub.url(), Optional.of("svc:s3cret"), true).check();
            assertThat(stub.requests).containsExactly("GET /apis/ccompat/v7/subjects");
            assertThatThrownBy(() -> client(stub.url(), Optional.empty(), true).check())
                    .hasMessageContaining("(HTTP 401): check schema.registry.basic.auth.user.info");
        }
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        assertThatThrownBy(() -> client("http://127.0.0.1:" + closedPort, Optional.empty(), true).check())
                .hasMessageStartingWith("cannot reach Schema Registry at http://127.0.0.1:" + closedPort + " (GET /subjects)");
    }

    @Test
    void rejectsAUrlThatIsNotHttp() {
        assertThatThrownBy(() -> client("registry:8081", Optional.empty(), true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("schema registry URL 'registry:8081' must be http:// or https://");
    }

    @Test
    void percentEncodesSubjects() {
        assertThat(RestSchemaRegistry.pathSegment("my topic/x-value")).isEqualTo("my%20topic%2Fx-value");
    }

    private static RestSchemaRegistry client(String url, Optional<String> auth, boolean autoRegister) {
        return new RestSchemaRegistry(url, auth, autoRegister, Duration.ofSeconds(5));
    }
}
