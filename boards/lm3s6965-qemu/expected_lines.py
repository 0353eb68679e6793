#!/usr/bin/env python3
"""Writes the lines the firmware must send, one per line, from the workload's rules
(src/workload.rs and src/metrics.rs) computed independently here, with Python's own float
arithmetic and repr as the reference for float text.

    python3 expected_lines.py > expected-lines.txt        # regenerate
    python3 expected_lines.py | diff - expected-lines.txt # check (scripts/boards.sh does)
"""

TICKS = 100
SAMPLE_EVERY = 20


def lines():
    bytes_in = 0
    for n in range(TICKS):
        kind = "command" if n % 4 == 3 else "sensor"
        ok = not (kind == "sensor" and n % 13 == 5)
        status = "ok" if ok else "crc_error"
        payload = 48 + (n * 37) % 200
        bytes_in += payload
        yield f"c:appliance.events,kind={kind},status={status}:1"
        if ok:
            micros = 250 + 10 * (n % 8)
            # Duration::from_micros(..).as_secs_f64(): 0.0 + nanos / 1e9, correctly rounded.
            yield f"t:appliance.handleTime:{repr(micros * 1000 / 1e9)}"
            yield "A:appliance.lastSuccess:0"
        yield f"d:appliance.payloadSize:{payload}"
        yield f"m:appliance.queueDepth:{(n * 7) % 11}"
        if n % SAMPLE_EVERY == 0:
            temperature = 21.5 + float((n // SAMPLE_EVERY) % 7) * 0.25
            yield f"g,60:appliance.temperature,unit=celsius:{repr(temperature)}"
            yield f"C:appliance.bytesIn:{bytes_in}"


if __name__ == "__main__":
    for line in lines():
        print(line)
