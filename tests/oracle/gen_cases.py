#!/usr/bin/env python3
"""Differential test-case generator: runs the real spectator-py 1.2.1 and records its output.

Usage:
    python gen_cases.py --count 12000 --seed 1 [--out FILE]

Needs only spectator-py (``netflix-spectator-py==1.2.1``) and the standard library. Output is
deterministic for a given seed (no wall clock, no hash-order dependence). Every case is one JSON
object per line (JSON Lines, UTF-8, non-ASCII characters written raw, NUL etc. as ``\\u0000``).
The output holds a fixed systematic block (spec examples, every special value on every meter)
followed by random cases, at least ``--count`` lines in total (more only when ``--count`` is
smaller than the systematic block, about 4,400 cases, which is always emitted whole).

Keys of a case:

``meter``
    ``age_gauge`` | ``counter`` | ``distinct_count_sketch`` | ``distribution_summary`` | ``gauge`` |
    ``max_gauge`` | ``monotonic_counter`` | ``monotonic_counter_uint`` |
    ``pct_distribution_summary`` | ``pct_timer`` | ``timer``
``op``
    ``now`` (age_gauge only, value null) | ``set`` | ``increment`` | ``record``
``name``
    the meter name (may be ``""``; Rust refuses empty names -> documented divergence)
``tags``
    list of ``[key, value]`` string pairs in the order passed to Python, which receives
    ``dict(pairs)`` (a repeated key: last value wins; empty keys/values are then dropped by
    spectator-py's validation)
``with_tags`` *or* ``with_tag``
    exactly one of these two keys is present in each case.
    ``"with_tags": null`` -> nothing applied;
    ``"with_tags": [[k, v], ...]`` -> ``meter_id = meter_id.with_tags(dict(pairs))`` (an empty list
    is a no-op in Python);
    ``"with_tag": [k, v]`` -> ``meter_id = meter_id.with_tag(k, v)``.
    The merged dict is re-validated, so a value ``""`` REMOVES an existing tag.
``ttl``
    ``null`` or an int in ``[1, 2**31-1]``; gauge only -> ``gauge_with_id(meter_id, ttl_seconds=ttl)``
``value``
    ``null`` for ``now``; otherwise one of
    ``{"t": "i64", "v": "<decimal>"}``  Python int in ``[-2**63, 2**63)``;
    ``{"t": "u64", "v": "<decimal>"}``  Python int in ``[2**63, 2**64)``, and every value of
    ``monotonic_counter_uint`` (passed as ``ctypes.c_uint64(v)``);
    ``{"t": "f64", "bits": "<16 hex digits>"}`` a Python float with that IEEE-754 bit pattern
    (big-endian hex of the 64-bit word; NaN payloads and sign are preserved);
    ``{"t": "dec", "m": "<decimal i64>", "s": <0..255>}`` the exact decimal ``m * 10**-s``: Python
    gets ``m / 10**s`` (a correctly rounded float), Rust ``Value::decimal(m, s)``;
    ``{"t": "dur", "secs": <int>, "nanos": <0..999999999>}`` timers only: Python gets
    ``(secs * 10**9 + nanos) / 10**9``, Rust ``record_duration(Duration::new(secs, nanos))``;
    ``{"t": "str", "v": "..."}`` / ``{"t": "bytes", "hex": "..."}`` distinct_count_sketch only
    (the sketch also gets i64/u64 ints).
``expected``
    the exact line spectator-py wrote to a ``MemoryWriter`` (``Registry(Config("memory"))``), or
    ``null`` when it wrote nothing (client-side filter). Exactly one line or none is written per
    case (asserted).

Meter ids are built as ``MeterId(name, dict(tags))`` -> with_tags/with_tag -> ``registry.<meter>_with_id``,
so ``extra_common_tags`` and the ``nf.*`` environment tags never apply. No case contains a bool, a
non-numeric value outside the sketch, or a lone surrogate (Rust ``&str`` cannot hold one).
"""

import argparse
import ctypes
import json
import logging
import math
import os
import random
import struct
import sys
import time
from decimal import Decimal

# spectator builds a GlobalRegistry at import time and honours SPECTATOR_OUTPUT_LOCATION
# (an invalid value would make the import fail), so remove it before importing.
os.environ.pop("SPECTATOR_OUTPUT_LOCATION", None)

from spectator import Config, MeterId, Registry  # noqa: E402

logging.getLogger("spectator").setLevel(logging.CRITICAL + 1)
logging.getLogger("spectator").addHandler(logging.NullHandler())

I64_MIN = -(2 ** 63)
I64_MAX = 2 ** 63 - 1
U64_MAX = 2 ** 64 - 1

METERS = [
    "age_gauge", "counter", "distinct_count_sketch", "distribution_summary", "gauge",
    "max_gauge", "monotonic_counter", "monotonic_counter_uint", "pct_distribution_summary",
    "pct_timer", "timer",
]
# meters that take an arbitrary Python number (int or float)
NUMERIC_METERS = [
    "age_gauge", "counter", "distribution_summary", "gauge", "max_gauge",
    "monotonic_counter", "pct_distribution_summary", "pct_timer", "timer",
]
OP_OF = {
    "age_gauge": "set", "counter": "increment", "distinct_count_sketch": "record",
    "distribution_summary": "record", "gauge": "set", "max_gauge": "set",
    "monotonic_counter": "set", "monotonic_counter_uint": "set",
    "pct_distribution_summary": "record", "pct_timer": "record", "timer": "record",
}

# ----------------------------------------------------------------------------------------------
# strings

ALLOWED67 = "-._~^0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
assert len(ALLOWED67) == 67  # the spec says "66" but -._~^ + digits + letters is 67
LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
PUNCT = " !\"#$%&'()*+,/:;<=>?@[\\]`{|}\n\t\r\x00\x7f\x01\x1b\x0b\x0c"
ASCII_ALL = "".join(chr(c) for c in range(128))
UNICODE_SAMPLES = [
    "é", "ö", "ß", "ñ", "\u00ff", "\u0080", "中", "文", "日本", "한", "ключ", "Привет",
    "😀", "🎉", "\U0001d518", "\U0010ffff", "e\u0301", "\u0301", "\u00a0", "\ufffd",
    "\u2028", "\ufeff", "\u200b", "\uffff", "א", "ع", "\u00e9t\u00e9", "caf\u00e9",
]
WORDS = [
    "server", "numRequests", "id", "status", "latency", "queue.size", "bytes", "users",
    "time.sinceLastSuccess", "nf.app", "nf.cluster", "region", "us-east-1", "method", "GET",
    "failed", "success", "k", "v", "x", "a", "b", "statistic", "percentile", "T0042", "ipc.server",
]
# keys that sanitize to the same text ("a_b")
COLLIDE_KEYS = [
    "a b", "a_b", "a.b", "a-b", "a~b", "a^b", "a\u00e9b", "a,b", "a=b", "a:b", "a\nb", "a\x00b",
    "a\u00a0b", "a\U0001f600b", "A_B", "a\u0301b",
]
# keys whose relative order differs before and after sanitization
SORTFLIP_KEYS = [
    "é", "z", "~", "_", " ", "{", "Z", "a", "ö", "😀", "\x7f", "^", "`", "\x00", "0", "-",
    "ключ", "中", "e\u0301", "\ufffd", "z_", "zé", "z~", "z ", "A", "~x", "_x", "\u00e9x", "ex",
]


def rand_ident(rng):
    if rng.random() < 0.5:
        s = rng.choice(WORDS)
        if rng.random() < 0.3:
            s += rng.choice([".", "_", "-"]) + rng.choice(WORDS)
        return s
    n = rng.randint(1, 16)
    return rng.choice(LETTERS) + "".join(rng.choice(LETTERS + "0123456789._") for _ in range(n - 1))


def rand_allowed(rng):
    r = rng.random()
    if r < 0.1:
        return ALLOWED67
    if r < 0.2:
        return "".join(rng.sample(ALLOWED67, 67))
    return "".join(rng.choice(ALLOWED67) for _ in range(rng.randint(1, 20)))


def rand_punct(rng):
    parts = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.5:
            parts.append(rng.choice(PUNCT))
        else:
            parts.append(rand_ident(rng) if rng.random() < 0.5 else rng.choice(LETTERS))
    return "".join(parts)


def rand_ascii_any(rng):
    return "".join(rng.choice(ASCII_ALL) for _ in range(rng.randint(1, 12)))


def rand_unicode(rng):
    parts = []
    for _ in range(rng.randint(1, 5)):
        r = rng.random()
        if r < 0.5:
            parts.append(rng.choice(UNICODE_SAMPLES))
        elif r < 0.6:
            # random BMP scalar value (no surrogates) or astral code point
            while True:
                c = rng.randint(0x80, 0x10FFFF) if rng.random() < 0.3 else rng.randint(0x80, 0xFFFF)
                if not 0xD800 <= c <= 0xDFFF:
                    break
            parts.append(chr(c))
        else:
            parts.append(rng.choice(LETTERS) * rng.randint(1, 3))
    return "".join(parts)


def rand_long(rng):
    n = rng.randint(100, 300)
    pool = [ALLOWED67, PUNCT, "".join(UNICODE_SAMPLES)]
    out = []
    while len(out) < n:
        r = rng.random()
        src = pool[0] if r < 0.7 else (pool[1] if r < 0.85 else pool[2])
        out.append(rng.choice(src))
    return "".join(out)


STRING_KINDS = {
    "clean": rand_ident,
    "allowed": rand_allowed,
    "punct": rand_punct,
    "ascii_any": rand_ascii_any,
    "unicode": rand_unicode,
    "long": rand_long,
    "empty": lambda rng: "",
    "blank": lambda rng: rng.choice([" ", "  ", "\t", "\n", "\u00a0", "\x00"]),
    "collide": lambda rng: rng.choice(COLLIDE_KEYS),
    "sortflip": lambda rng: rng.choice(SORTFLIP_KEYS),
}
NAME_WEIGHTS = {"clean": 40, "allowed": 10, "punct": 12, "ascii_any": 5, "unicode": 12,
                "long": 5, "empty": 3, "blank": 3, "collide": 5, "sortflip": 5}
KEY_WEIGHTS = {"clean": 30, "allowed": 8, "punct": 10, "ascii_any": 4, "unicode": 10,
               "long": 3, "empty": 5, "blank": 3, "collide": 12, "sortflip": 15}
VAL_WEIGHTS = {"clean": 40, "allowed": 10, "punct": 10, "ascii_any": 4, "unicode": 12,
               "long": 4, "empty": 10, "blank": 5, "collide": 2, "sortflip": 3}


def weighted(rng, weights):
    kinds = list(weights)
    return rng.choices(kinds, weights=[weights[k] for k in kinds])[0]


def rand_str(rng, weights):
    return STRING_KINDS[weighted(rng, weights)](rng)


def rand_tags(rng):
    n = rng.choices(range(7), weights=[20, 25, 20, 12, 10, 7, 6])[0]
    pairs = []
    for _ in range(n):
        if pairs and rng.random() < 0.1:
            k = rng.choice(pairs)[0]  # repeated key: last one wins in dict(pairs)
        else:
            k = rand_str(rng, KEY_WEIGHTS)
        pairs.append([k, rand_str(rng, VAL_WEIGHTS)])
    return pairs


def rand_with(rng, tags):
    """Returns (json_key, payload) for the with_tags / with_tag field."""
    r = rng.random()
    if r < 0.55:
        return "with_tags", None

    def pick_key():
        x = rng.random()
        if tags and x < 0.35:
            return rng.choice(tags)[0]  # override (or remove) an existing key
        if x < 0.6:
            return rng.choice(SORTFLIP_KEYS + COLLIDE_KEYS)
        return rand_str(rng, KEY_WEIGHTS)

    def pick_val():
        return "" if rng.random() < 0.25 else rand_str(rng, VAL_WEIGHTS)

    if r < 0.75:
        return "with_tag", [pick_key(), pick_val()]
    n = rng.choices(range(5), weights=[5, 35, 30, 20, 10])[0]
    return "with_tags", [[pick_key(), pick_val()] for _ in range(n)]


# ----------------------------------------------------------------------------------------------
# numbers

def f64_bits(x):
    return struct.pack(">d", x).hex()


def f64_from_bits(b):
    return struct.unpack(">d", b.to_bytes(8, "big"))[0]


def is_exact_tie(x):
    """True when repr(x) had to break an exact decimal tie (round-half-even on the last digit)."""
    if not math.isfinite(x) or x == 0:
        return False
    d = Decimal(x).normalize()
    digits = d.as_tuple().digits
    return len(digits) == 18 and digits[-1] == 5 and len(Decimal(repr(x)).normalize().as_tuple().digits) == 17


def tie_values(rng, n):
    out = []
    fracs = [0.125, 0.375, 0.625, 0.875, 0.25, 0.75]
    while len(out) < n:
        base = rng.randint(10 ** 14, 2 ** 51 - 1)
        x = float(base) + rng.choice(fracs)
        if is_exact_tie(x):
            out.append(x)
    return out


def special_floats():
    v = [
        math.nan, -math.nan, f64_from_bits(0x7FF0000000000001), f64_from_bits(0xFFF8000000000001),
        f64_from_bits(0x7FFFFFFFFFFFFFFF), math.inf, -math.inf, 0.0, -0.0, 1.0, 0.5, 0.1, 2.0,
        42.0, 1e16, 1e-5, 1e-4, 9999999999999998.0, 0.30000000000000004, 1e-07, 1e-09, 5e-324,
        1e-323, 2.225073858507201e-308, 2.2250738585072014e-308, 1.7976931348623157e+308,
        111275153569243.125, 123456789.0, 1.5e16, 1.5e-5, 1e22, 1e23, 9.999999999999999e22,
        float(2 ** 53), float(2 ** 53 + 2), float(2 ** 63), float(2 ** 64), 1e15, 1e17,
        0.3, 2.5, 1e100, 1e-100, 1.2345678901234567e-300, 3.141592653589793, 0.0001,
        9.999999999999999e-05, 1.0000000000000002, 0.9999999999999999, 4.35, 1e21,
        f64_from_bits(0x000FFFFFFFFFFFFF), f64_from_bits(0x0000000000000002),
        f64_from_bits(0x0008000000000000), 0.19999999999999998,
    ]
    for e in range(-30, 31):
        p = float(f"1e{e}")
        v += [p, math.nextafter(p, math.inf), math.nextafter(p, 0.0)]
    v += [-x for x in list(v)]
    # dedupe by bit pattern, keeping order
    seen, out = set(), []
    for x in v:
        b = f64_bits(x)
        if b not in seen:
            seen.add(b)
            out.append(x)
    return out


SPECIAL_INTS = [
    0, 1, -1, 2, -2, 3, 7, 10, 42, 100, 255, 1000, 65535, 10 ** 6, 2 ** 31 - 1, 2 ** 31, -(2 ** 31),
    2 ** 32, 2 ** 53 - 1, 2 ** 53, 2 ** 53 + 1, -(2 ** 53) - 1, 10 ** 15, 10 ** 16, 10 ** 17,
    10 ** 18, -(10 ** 18), I64_MAX, I64_MAX - 1, I64_MIN, I64_MIN + 1, -1000, -42,
    2 ** 63, 2 ** 63 + 1, 10 ** 19, U64_MAX - 1, U64_MAX,
]


def rand_int(rng, allow_u64=True):
    r = rng.random()
    if r < 0.25:
        pool = SPECIAL_INTS if allow_u64 else [x for x in SPECIAL_INTS if x <= I64_MAX]
        return rng.choice(pool)
    if r < 0.5:
        return rng.randint(-1000, 1000)
    if allow_u64 and r < 0.56:
        return rng.randint(2 ** 63, U64_MAX)
    bits = rng.randint(1, 64 if allow_u64 else 63)
    x = rng.getrandbits(bits)
    if x <= I64_MAX and rng.random() < 0.4:
        x = -x
    return x


def rand_float(rng, specials, ties):
    r = rng.random()
    if r < 0.35:
        return rng.choice(specials)
    if r < 0.45:
        return rng.choice(ties)
    if r < 0.65:
        return f64_from_bits(rng.getrandbits(64))
    if r < 0.72:  # random subnormal
        return f64_from_bits(rng.getrandbits(52) | (rng.getrandbits(1) << 63))
    if r < 0.85:  # random short decimal
        digits = str(rng.randint(1, 10 ** rng.randint(1, 17)))
        s = f"{'-' if rng.random() < 0.3 else ''}0.{digits}e{rng.randint(-30, 30)}"
        return float(s)
    x = rng.uniform(0, 1000) if rng.random() < 0.5 else rng.expovariate(1.0) * 10 ** rng.randint(-10, 10)
    return -x if rng.random() < 0.25 else x


def int_value(x):
    if I64_MIN <= x <= I64_MAX:
        return {"t": "i64", "v": str(x)}
    assert I64_MAX < x <= U64_MAX
    return {"t": "u64", "v": str(x)}


def float_value(x):
    return {"t": "f64", "bits": f64_bits(x)}


def rand_decimal(rng):
    """Mostly fixed-point readings (at most 15 significant digits), some with 16 to 19."""
    digits = rng.choice([1, 2, 3, 4, 5, 6, 9, 12, 15, 15, 16, 17, 18, 19])
    m = rng.randint(0, 10 ** digits - 1) * 10 ** rng.choice([0, 0, 0, 1, 3])
    m = max(min(m, I64_MAX), I64_MIN)
    if rng.random() < 0.3:
        m = -m
    s = rng.choice([0, 1, 2, 3, 6, 9, rng.randint(0, 30), rng.randint(0, 255)])
    return {"t": "dec", "m": str(m), "s": s}


def rand_duration(rng):
    r = rng.random()
    secs = 0 if r < 0.6 else rng.choice([1, 2, 59, 3600, 86400 * 30, rng.randint(0, 10 ** 6)])
    nanos = rng.choice([0, rng.randint(0, 999), rng.randint(0, 999_999) * 1000,
                        rng.randint(0, 999_999_999)])
    return {"t": "dur", "secs": secs, "nanos": nanos}


def rand_numeric_value(rng, specials, ties, meter=None):
    r = rng.random()
    if r < 0.1:
        if meter in ("timer", "pct_timer") and rng.random() < 0.5:
            return rand_duration(rng)
        return rand_decimal(rng)
    if r < 0.55:
        return float_value(rand_float(rng, specials, ties))
    return int_value(rand_int(rng))


def rand_sketch_value(rng):
    r = rng.random()
    if r < 0.45:
        if rng.random() < 0.1:
            return {"t": "str", "v": ""}
        return {"t": "str", "v": rand_str(rng, VAL_WEIGHTS)}
    if r < 0.75:
        n = rng.choice([0, 1, 2, 3, 4, 5, 8, 16, 32, rng.randint(0, 200)])
        return {"t": "bytes", "hex": rng.getrandbits(8 * n).to_bytes(n, "big").hex() if n else ""}
    return int_value(rand_int(rng))


def rand_ttl(rng):
    r = rng.random()
    if r < 0.5:
        return None
    if r < 0.75:
        return rng.choice([1, 2, 4, 5, 6, 15, 60, 300, 900, 3600, 86400, 2 ** 31 - 2, 2 ** 31 - 1])
    if r < 0.95:
        return rng.randint(1, 100000)
    return rng.randint(1, 2 ** 31 - 1)


# ----------------------------------------------------------------------------------------------
# running spectator-py

class Oracle:
    def __init__(self):
        self.registry = Registry(Config("memory"))
        self.writer = self.registry.writer()

    def run(self, case):
        meter_id = MeterId(case["name"], dict((k, v) for k, v in case["tags"]))
        if "with_tag" in case:
            k, v = case["with_tag"]
            meter_id = meter_id.with_tag(k, v)
        elif case["with_tags"] is not None:
            meter_id = meter_id.with_tags(dict((k, v) for k, v in case["with_tags"]))

        meter_name = case["meter"]
        if meter_name == "gauge":
            meter = self.registry.gauge_with_id(meter_id, ttl_seconds=case["ttl"])
        else:
            assert case["ttl"] is None
            meter = getattr(self.registry, meter_name + "_with_id")(meter_id)

        self.writer.clear()
        if case["op"] == "now":
            assert case["value"] is None
            meter.now()
        else:
            getattr(meter, case["op"])(py_value(case))
        lines = self.writer.get()
        assert len(lines) <= 1, lines
        return self.writer.last_line() if lines else None


def py_value(case):
    val = case["value"]
    t = val["t"]
    if t in ("i64", "u64"):
        x = int(val["v"])
        if case["meter"] == "monotonic_counter_uint":
            assert t == "u64" and 0 <= x <= U64_MAX
            return ctypes.c_uint64(x)
        assert (I64_MIN <= x <= I64_MAX) == (t == "i64")
        return x
    if t == "f64":
        return struct.unpack(">d", bytes.fromhex(val["bits"]))[0]
    if t == "dec":
        return int(val["m"]) / 10 ** val["s"]
    if t == "dur":
        assert case["meter"] in ("timer", "pct_timer")
        return (val["secs"] * 10 ** 9 + val["nanos"]) / 10 ** 9
    assert case["meter"] == "distinct_count_sketch"
    if t == "str":
        return val["v"]
    if t == "bytes":
        return bytes.fromhex(val["hex"])
    raise ValueError(t)


def make_case(meter, op, name, tags, with_key, with_val, ttl, value):
    case = {"meter": meter, "op": op, "name": name, "tags": tags}
    case[with_key] = with_val
    case["ttl"] = ttl
    case["value"] = value
    return case


def systematic_cases(rng, specials, ties):
    """Spec examples plus every special value on every meter that accepts it."""
    c = []
    W = lambda m, name, tags, value, w=("with_tags", None), ttl=None, op=None: c.append(  # noqa: E731
        make_case(m, op or OP_OF[m], name, tags, w[0], w[1], ttl, value))

    # protocol.md §1 / §3.3 examples
    W("counter", "server.numRequests", [["id", "failed"]], int_value(1))
    W("counter", "x", [], float_value(1.0))
    W("gauge", "queue.size", [["k", "v"]], int_value(42), ttl=60)
    c.append(make_case("age_gauge", "now", "time.sinceLastSuccess", [], "with_tags", None, None, None))
    W("monotonic_counter_uint", "bytes", [], {"t": "u64", "v": str(U64_MAX)})
    W("timer", "latency", [], float_value(0.00001))
    W("distinct_count_sketch", "users", [], {"t": "str", "v": "héllo"})
    W("counter", "x", [["é", "1"], ["z", "2"]], int_value(1))
    W("counter", "x", [["a_b", "3"], ["a.b", "2"], ["a b", "1"]], int_value(1))
    W("counter", "x", [[k, k] for k in ["b", "B", "a", "_", "~", "-", "0", "^"]], int_value(1))
    W("counter", "x", [["a b", "1"], ["a_b", "2"]], int_value(1))
    W("counter", "caf\u00e9", [["k", " x "]], int_value(1))
    W("counter", "x\U0001f600y", [["ключ", "e\u0301"]], int_value(1))
    W("counter", ALLOWED67, [[ALLOWED67, ALLOWED67]], int_value(1))
    W("counter", "", [], int_value(1))
    W("counter", "", [["", "v"], ["k", ""]], int_value(1))
    W("counter", "x", [["k", "v"], ["k", ""]], int_value(1))  # repeated key, last ("") wins -> dropped
    W("counter", "x", [["k", ""], ["k", "v"]], int_value(1))
    W("counter", "x" * 300, [["k" * 300, "v" * 300]], int_value(1))
    W("gauge", "g", [], float_value(1.5), ttl=2 ** 31 - 1)
    W("gauge", "g", [], float_value(1.5), ttl=1)
    # with_tags / with_tag edge cases
    W("counter", "x", [["k", "v"]], int_value(1), w=("with_tag", ["k", ""]))           # removes k
    W("counter", "x", [["k", "v"]], int_value(1), w=("with_tag", ["k", "w"]))          # overrides
    W("counter", "x", [["k", "v"]], int_value(1), w=("with_tag", ["", "w"]))           # dropped
    W("counter", "x", [["k", "v"]], int_value(1), w=("with_tags", []))                 # no-op
    W("counter", "x", [["k", "v"]], int_value(1), w=("with_tags", [["k", ""], ["j", "1"]]))
    W("counter", "x", [["z", "1"]], int_value(1), w=("with_tag", ["é", "2"]))
    W("counter", "x", [["z_", "1"]], int_value(1), w=("with_tag", ["zé", "2"]))
    W("counter", "x", [["`", "1"]], int_value(1), w=("with_tags", [["_", "2"], ["^", "3"], ["~", "4"]]))
    W("counter", "x", [["a b", "1"]], int_value(1), w=("with_tags", [["a_b", "2"], ["a b", ""]]))
    W("counter", "x", [], int_value(1), w=("with_tags", [["a b", "1"], ["a_b", "2"], ["aéb", "3"]]))
    # sketch: bytes and int encodings
    for v in [{"t": "str", "v": ""}, {"t": "bytes", "hex": ""}, {"t": "bytes", "hex": "00"},
              {"t": "bytes", "hex": "ff" * 3}, {"t": "bytes", "hex": "fbff"}, {"t": "str", "v": "\x00"},
              {"t": "str", "v": "😀"}, {"t": "str", "v": "\ufffd"}]:
        W("distinct_count_sketch", "s", [], v)
    for x in SPECIAL_INTS:
        W("distinct_count_sketch", "s", [], int_value(x))
    # monotonic_counter_uint specials
    for x in SPECIAL_INTS:
        if x >= 0:
            W("monotonic_counter_uint", "u", [], {"t": "u64", "v": str(x)})
    # every special float / int on every numeric meter
    for m in NUMERIC_METERS:
        names = ["x", "n.a-m_e~^", "m e", rand_ident(rng)]
        for i, x in enumerate(specials + ties[:10]):
            W(m, names[i % len(names)], [] if i % 3 else [["k", "v"]], float_value(x))
        for i, x in enumerate(SPECIAL_INTS):
            W(m, names[i % len(names)], [], int_value(x))
    # exact decimals (fixed-point readings) on every numeric meter, durations on the timers
    decimals = [(0, 0), (0, 9), (1, 0), (-1, 0), (2150, 2), (2200, 2), (-2225, 2), (250_000, 9),
                (1, 4), (1, 5), (12, 6), (-15, 6), (9_999_999_999_999_998, 0),
                (10_000_000_000_000_000, 0), (123_456_789_012_345, 7), (5, 255), (-123_456, 200),
                (999_999_999_999_999, 19), (1_000_000_000_000_000_001, 3), (I64_MAX, 0),
                (I64_MIN, 0), (I64_MAX, 18)]
    for m in NUMERIC_METERS:
        for mantissa, scale in decimals:
            W(m, "x", [], {"t": "dec", "m": str(mantissa), "s": scale})
    for m in ("timer", "pct_timer"):
        for secs, nanos in [(0, 0), (0, 1), (0, 250_000), (0, 999_999_999), (1, 0), (1, 500_000_000),
                            (1, 1), (59, 999_999), (86400 * 30, 123_000_000), (999_999, 999_999_999)]:
            W(m, "t", [], {"t": "dur", "secs": secs, "nanos": nanos})
    # age gauge now with various ids
    for name in ["", "x", "é", "a:b", "A=b,c"]:
        c.append(make_case("age_gauge", "now", name, [["k", "v"]], "with_tags", None, None, None))
    # gauge with ttl on a few values
    for ttl in [1, 5, 60, 900, 2 ** 31 - 1]:
        for x in [math.nan, -0.0, 1e16, 42]:
            W("gauge", "g", [], float_value(x) if isinstance(x, float) else int_value(x), ttl=ttl)
    return c


def random_case(rng, i, specials, ties):
    meter = METERS[i % len(METERS)]
    op = OP_OF[meter]
    if meter == "age_gauge" and rng.random() < 0.3:
        op = "now"
    name = rand_str(rng, NAME_WEIGHTS)
    tags = rand_tags(rng)
    with_key, with_val = rand_with(rng, tags)
    ttl = rand_ttl(rng) if meter == "gauge" else None
    if op == "now":
        value = None
    elif meter == "distinct_count_sketch":
        value = rand_sketch_value(rng)
    elif meter == "monotonic_counter_uint":
        value = {"t": "u64", "v": str(rand_int(rng) & U64_MAX)}
    else:
        value = rand_numeric_value(rng, specials, ties, meter)
    return make_case(meter, op, name, tags, with_key, with_val, ttl, value)


def generate(count, seed):
    rng = random.Random(seed)
    specials = special_floats()
    ties = tie_values(rng, 64)
    cases = systematic_cases(rng, specials, ties)
    i = 0
    while len(cases) < count:
        cases.append(random_case(rng, i, specials, ties))
        i += 1
    oracle = Oracle()
    for case in cases:
        case["expected"] = oracle.run(case)
    return cases


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=12000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()

    t0 = time.perf_counter()
    cases = generate(args.count, args.seed)
    text = "".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) + "\n" for c in cases)
    data = text.encode("utf-8")  # raises on a lone surrogate, which must never occur
    if args.out:
        with open(args.out, "wb") as f:
            f.write(data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    print(f"gen_cases: {len(cases)} cases in {time.perf_counter() - t0:.2f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
