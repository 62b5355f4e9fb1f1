#!/usr/bin/python3
"""Subscribes to ASR's band transitions and acts when an agent moves DOWN a band.

    /usr/bin/python3 downgrade_watcher.py localhost:9092 embedded:.asr/demo/schemas
    /usr/bin/python3 downgrade_watcher.py kafka:9092 http://registry:8081 --group my-watcher

Needs Debian's python3-confluent-kafka and python3-avro (apt-get install python3-confluent-kafka
python3-avro), so run it with the system Python. The records are Avro in the Confluent wire format
(a zero byte, the writer schema's 4-byte id, the Avro body); the writer schema is fetched by id
from the registry ASR uses: a Confluent-API registry over HTTP, or the embedded registry's
directory (ids/<id>.avsc). It is an ordinary consumer group member and commits after acting, so a
restart acts on what it had not finished; transition_id is deterministic, so an action can skip a
transition it already took.
"""
import argparse
import io
import json
import os
import struct
import sys
import urllib.request

import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaException

TOPIC = "asr.band-transitions.v1"


class Schemas:
    """Writer schemas by id, from an HTTP registry or the embedded registry's directory."""

    def __init__(self, registry):
        self.registry = registry
        self.by_id = {}

    def get(self, schema_id):
        if schema_id not in self.by_id:
            if self.registry.startswith("embedded:"):
                with open(os.path.join(self.registry[len("embedded:"):], "ids", "%d.avsc" % schema_id)) as f:
                    text = f.read()
            else:
                with urllib.request.urlopen("%s/schemas/ids/%d" % (self.registry.rstrip("/"), schema_id), timeout=10) as r:
                    text = json.load(r)["schema"]
            self.by_id[schema_id] = avro.schema.parse(text)
        return self.by_id[schema_id]


def decode(schemas, value):
    """A record's value as a dict, or raises ValueError for bytes that are not ASR's Avro."""
    if value is None or len(value) < 5 or value[0] != 0:
        raise ValueError("not in the Confluent wire format (no leading zero byte and schema id)")
    schema = schemas.get(struct.unpack(">I", value[1:5])[0])
    return avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(value[5:])))


def act(move):
    """What a platform would do on a downgrade: here, say it. Replace with your own action."""
    asr = "n/a" if move["asr"] is None else "%.2f" % move["asr"]
    print("DOWN %s (fleet %s): %s -> %s, ASR %s over %s with %d settled tasks: cutting its allowance to the %s band's"
          % (move["agent_id"], move["fleet"], move["from_band"], move["to_band"], asr, move["window"],
             move["settled_tasks"], move["to_band"]), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("bootstrap", help="Kafka bootstrap servers, e.g. localhost:9092")
    parser.add_argument("registry", help="http(s)://host:port of the schema registry, or embedded:DIR")
    parser.add_argument("--group", default="asr-downgrade-watcher-py", help="consumer group (instances share the work)")
    parser.add_argument("--topic", default=TOPIC)
    parser.add_argument("--idle-exit", type=float, default=None, help="stop after this many seconds without a record")
    args = parser.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": args.group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "isolation.level": "read_committed",  # the topology writes in transactions
    })
    consumer.subscribe([args.topic])
    schemas = Schemas(args.registry)
    seen = set()
    print("watching %s on %s for DOWN moves (Ctrl-C stops)" % (args.topic, args.bootstrap), flush=True)
    idle = 0.0
    try:
        while args.idle_exit is None or idle < args.idle_exit:
            message = consumer.poll(0.5)
            if message is None:
                idle += 0.5
                continue
            if message.error():
                raise KafkaException(message.error())
            idle = 0.0
            try:
                move = decode(schemas, message.value())
            except (ValueError, OSError, EOFError) as error:
                print("skipping %s-%d@%d: %s" % (message.topic(), message.partition(), message.offset(), error), file=sys.stderr)
                continue
            if move["direction"] == "DOWN" and move["transition_id"] not in seen:
                seen.add(move["transition_id"])
                act(move)
            consumer.commit(message=message, asynchronous=False)
    except KeyboardInterrupt:
        pass
    finally:
        consumer.close()


if __name__ == "__main__":
    main()
