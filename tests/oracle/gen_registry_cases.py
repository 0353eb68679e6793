"""Registry-level differential cases from spectator-py 1.2.1: common tags and environment tags.

Each JSON line: {"extra": [[k, v], ...], "env": {VAR: value}, "via": "factory" | "new_id",
"with_tag": null | [k, v], "meter": registry method, "ttl": null | int, "name": str,
"tags": [[k, v], ...], "value": {"t": "i64"|"f64", ...}, "expected": line | null}.

"factory" calls registry.<meter>(name, dict(tags)); "new_id" calls registry.new_id(name,
dict(tags)), then .with_tag(k, v) when given, then registry.<meter>_with_id(id). The registry is
Registry(Config("memory", dict(extra))) built with exactly `env` as the NETFLIX_*/TITUS_*
variables.

Usage: python gen_registry_cases.py --count 3000 --seed 1
"""
import argparse
import json
import logging
import os
import random
import struct

os.environ.pop("SPECTATOR_OUTPUT_LOCATION", None)
from spectator import Config, Registry  # noqa: E402

ENV_VARS = ["NETFLIX_CONTAINER_NAME", "TITUS_CONTAINER_NAME", "NETFLIX_PROCESS_NAME"]
KEYS = ["nf.container", "nf.process", "nf.app", "app", "a", "z", "é", "a b", "a_b", "", " ", "id"]
VALUES = ["www", "main", "1", "", " ", "x y", "é", "v,=:"]
ENV_VALUES = ["", "  ", "main", " spaced ", "my proc/1", "\t tab \n", "\u00a0nbsp\u00a0",
              "\x1cfs\x1f", "\u2003em\u2003", "ключ", "a\u3000"]
METERS = {"counter": "increment", "gauge": "set", "max_gauge": "set", "timer": "record",
          "pct_timer": "record", "distribution_summary": "record", "monotonic_counter": "set",
          "age_gauge": "set", "pct_distribution_summary": "record"}


def pairs(rng, n):
    return [[rng.choice(KEYS), rng.choice(VALUES)] for _ in range(n)]


def value(rng):
    if rng.random() < 0.5:
        return {"t": "i64", "v": str(rng.choice([0, 1, 7, -3, 2**53 + 1]))}
    x = rng.choice([1.0, 0.5, 1e16, 1e-05, -0.0, 123.456, float("nan")])
    return {"t": "f64", "bits": struct.pack(">d", x).hex()}


def decode(v):
    if v["t"] == "i64":
        return int(v["v"])
    return struct.unpack(">d", bytes.fromhex(v["bits"]))[0]


def run(case):
    for var in ENV_VARS:
        os.environ.pop(var, None)
    os.environ.update(case["env"])
    registry = Registry(Config("memory", dict(case["extra"])))
    meter_name = case["meter"]
    tags = dict(case["tags"])
    ttl = case["ttl"]
    if case["via"] == "factory":
        if meter_name == "gauge":
            meter = registry.gauge(case["name"], tags, ttl_seconds=ttl)
        else:
            meter = getattr(registry, meter_name)(case["name"], tags)
    else:
        meter_id = registry.new_id(case["name"], tags)
        if case["with_tag"] is not None:
            meter_id = meter_id.with_tag(*case["with_tag"])
        if meter_name == "gauge":
            meter = registry.gauge_with_id(meter_id, ttl_seconds=ttl)
        else:
            meter = getattr(registry, meter_name + "_with_id")(meter_id)
    getattr(meter, METERS[meter_name])(decode(case["value"]))
    writer = registry.writer()
    return writer.last_line() if not writer.is_empty() else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.disable(logging.CRITICAL)
    rng = random.Random(args.seed)
    for _ in range(args.count):
        meter = rng.choice(sorted(METERS))
        case = {
            "extra": pairs(rng, rng.randint(0, 3)),
            "env": {var: rng.choice(ENV_VALUES) for var in ENV_VARS if rng.random() < 0.5},
            "via": rng.choice(["factory", "new_id"]),
            "with_tag": None,
            "meter": meter,
            "ttl": rng.choice([None, 1, 60]) if meter == "gauge" else None,
            "name": rng.choice(["x", "server.numRequests", "a b", "é"]),
            "tags": pairs(rng, rng.randint(0, 3)),
            "value": value(rng),
        }
        if case["via"] == "new_id" and rng.random() < 0.5:
            case["with_tag"] = [rng.choice(KEYS[:6]), rng.choice(VALUES)]
        case["expected"] = run(case)
        print(json.dumps(case, ensure_ascii=False))


if __name__ == "__main__":
    main()
