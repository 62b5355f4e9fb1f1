package dev.asr.streams.state;

import java.util.Map;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the off-heap memory of every RocksDB store in the process: one LRU block cache holds data,
 * index and filter blocks, and the memtables are charged to it through one write-buffer manager.
 * Without this each store (and each segment of a window store) takes its own cache and memtables,
 * and memory grows with the number of partitions.
 *
 * <p>Sized once per process by {@link #limit(long)} before Kafka Streams starts.
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {

    /** Share of the total given to memtables; the rest caches blocks. */
    private static final double MEMTABLE_SHARE = 0.25;
    /** Share of the cache kept for index and filter blocks, so lookups never fault them out. */
    private static final double INDEX_FILTER_SHARE = 0.1;

    private static long totalBytes = 128L << 20;
    private static Cache cache;
    private static WriteBufferManager writeBufferManager;

    public static synchronized void limit(long bytes) {
        if (cache != null && bytes != totalBytes) {
            throw new IllegalStateException("RocksDB memory is already sized at " + totalBytes + " bytes in this process");
        }
        totalBytes = bytes;
    }

    public static synchronized long totalBytes() {
        return totalBytes;
    }

    private static synchronized void ensureShared() {
        if (cache == null) {
            cache = new LRUCache(totalBytes, -1, false, INDEX_FILTER_SHARE);
            writeBufferManager = new WriteBufferManager((long) (totalBytes * MEMTABLE_SHARE), cache);
        }
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        ensureShared();
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(writeBufferManager);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and write-buffer manager are shared by every store: never closed per store.
    }
}
