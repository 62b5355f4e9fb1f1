package dev.asr.schemas;

import org.apache.kafka.common.serialization.Serde;

/**
 * A topic with the serdes of its keys and values. Code that reads or writes a topic takes one of
 * these from {@link Topics}, never a bare name or serde.
 */
public record Topic<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde) {

    @Override
    public String toString() {
        return name;
    }
}
