#!/usr/bin/env python3
"""Writes the lines the firmware must send, one per line, from the workload's rules
(src/workload.rs and src/metrics.rs) computed independently here, with Python's own float
arithmetic and repr as the reference for float text.

The motor's meters are updated by the SysTick interrupt handler every millisecond while the
motor runs (MOTOR_ON_MS..MOTOR_OFF_MS of each CYCLE_MS) and reported by the main loop on the
last tick of each cycle: one line each per cycle, with the cycle's number of samples, their
maximum and the last one. The motor stops 40 ms before the report and starts again 110 ms after
it, so each report holds exactly one cycle, whatever the loop's timing within that margin.

    python3 expected_lines.py > expected-lines.txt        # regenerate
    python3 expected_lines.py | diff - expected-lines.txt # check (scripts/boards.sh does)
"""

TICKS = 100
TICK_MS = 10
SAMPLE_EVERY = 20
REPORT_EVERY = 25
CYCLE_MS = REPORT_EVERY * TICK_MS
MOTOR_ON_MS, MOTOR_OFF_MS = 100, 200


def motor(ms):
    """The motor's current in mA at millisecond `ms`, or None when it does not run."""
    if ms < TICKS * TICK_MS and MOTOR_ON_MS <= ms % CYCLE_MS < MOTOR_OFF_MS:
        return 400 + 50 * (ms // CYCLE_MS) + (ms * 7919) % 331
    return None


def motor_report(cycle):
    """The aggregated lines of one cycle: the samples, their maximum, the last one."""
    samples = [motor(ms) for ms in range(cycle * CYCLE_MS, (cycle + 1) * CYCLE_MS)]
    samples = [s for s in samples if s is not None]
    if samples:
        yield f"c:appliance.motor.samples:{len(samples)}"
        yield f"m:appliance.motor.peakCurrent,unit=mA:{max(samples)}"
        yield f"g:appliance.motor.current,unit=mA:{samples[-1]}"


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
        if n % REPORT_EVERY == REPORT_EVERY - 1:
            yield from motor_report(n // REPORT_EVERY)
    # The report before the final flush: the motor stopped with the last cycle, nothing new.


if __name__ == "__main__":
    for line in lines():
        print(line)
