package dev.asr.streams.state.codec;

import dev.asr.streams.ledger.Settlement;

/** A {@link Settlement} in stored form: settled at, bucket start, autonomous. */
public final class SettlementCodec {

    private SettlementCodec() {}

    public static byte[] encode(Settlement settlement) {
        return new ByteSink(20).writeVarLong(settlement.settledAt()).writeVarLong(settlement.bucketStart())
                .writeByte(settlement.autonomous() ? 1 : 0).toArray();
    }

    public static Settlement decode(byte[] bytes) {
        ByteSource in = new ByteSource(bytes);
        return new Settlement(in.readVarLong(), in.readVarLong(), in.readByte() == 1);
    }
}
