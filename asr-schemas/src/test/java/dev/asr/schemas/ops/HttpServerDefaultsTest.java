package dev.asr.schemas.ops;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpServerDefaultsTest {

    private final String before = System.getProperty(HttpServerDefaults.NO_DELAY);

    @AfterEach
    void restore() {
        if (before == null) {
            System.clearProperty(HttpServerDefaults.NO_DELAY);
        } else {
            System.setProperty(HttpServerDefaults.NO_DELAY, before);
        }
    }

    @Test
    void nagleIsTurnedOffUnlessTheUserSaidOtherwise() {
        System.clearProperty(HttpServerDefaults.NO_DELAY);
        HttpServerDefaults.apply();
        assertThat(System.getProperty("sun.net.httpserver.nodelay")).isEqualTo("true");
        System.setProperty(HttpServerDefaults.NO_DELAY, "false");
        HttpServerDefaults.apply();
        assertThat(System.getProperty("sun.net.httpserver.nodelay")).isEqualTo("false");
    }
}
