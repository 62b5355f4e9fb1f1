package dev.asr.streams.state.codec;

import dev.asr.streams.fleet.FleetInput;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * {@link FleetInput} on the internal fleet-inputs repartition topic: a kind byte ('c' contribution,
 * 'w' watermark), then the fields. Internal to the topology, so a compact form of our own rather
 * than Avro; a changed layout needs a new repartition topic name.
 */
public final class FleetInputCodec implements Serde<FleetInput> {

    private static final int CONTRIBUTION = 'c';
    private static final int WATERMARK = 'w';

    public static byte[] encode(FleetInput input) {
        ByteSink out = new ByteSink(96);
        if (input instanceof FleetInput.Contribution c) {
            out.writeByte(CONTRIBUTION).writeString(c.fleet()).writeString(c.view()).writeVarLong(c.startMs()).writeVarLong(c.endMs())
                    .writeVarLong(c.openSpend()).writeVarLong(c.lastEventAt());
            FiguresCodec.write(c.sums(), out);
        } else if (input instanceof FleetInput.Watermark w) {
            out.writeByte(WATERMARK).writeVarLong(w.source()).writeVarLong(w.sources()).writeVarLong(w.upTo());
        }
        return out.toArray();
    }

    public static FleetInput decode(byte[] bytes) {
        ByteSource in = new ByteSource(bytes);
        int kind = in.readByte();
        if (kind == CONTRIBUTION) {
            String fleet = in.readString();
            String view = in.readString();
            long start = in.readVarLong();
            long end = in.readVarLong();
            long openSpend = in.readVarLong();
            long lastEventAt = in.readVarLong();
            return new FleetInput.Contribution(fleet, view, start, end, FiguresCodec.read(in), openSpend, lastEventAt);
        }
        if (kind == WATERMARK) {
            return new FleetInput.Watermark((int) in.readVarLong(), (int) in.readVarLong(), in.readVarLong());
        }
        throw new IllegalStateException("not a fleet input: kind byte " + kind);
    }

    @Override
    public Serializer<FleetInput> serializer() {
        return (topic, input) -> input == null ? null : encode(input);
    }

    @Override
    public Deserializer<FleetInput> deserializer() {
        return (topic, bytes) -> bytes == null ? null : decode(bytes);
    }
}
