"""Wall time of ``python -m accelprobe`` (the whole plain report) against a bare interpreter.

Budget: the plain report takes less than twice a bare interpreter's start-up (median of
fresh processes, interleaved, measured in one run), with nothing installed and with every
backend installed. ``python -X importtime -m accelprobe`` shows where the time goes.
"""

from __future__ import annotations

import argparse

from common import environment, prelude, time_processes, verdict

BUDGET = 2.0
REPORT = (
    "import runpy, sys; sys.argv = ['accelprobe']; "
    "runpy.run_module('accelprobe', run_name='__main__', alter_sys=True)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="fresh processes per variant")
    runs = parser.parse_args().runs
    none = prelude(environment("none", backends=False))
    every = prelude(environment("all", backends=True))
    variants = {
        "bare": "pass",
        "report, nothing installed": none + REPORT,
        "report, every backend": every + REPORT,
    }
    times = time_processes(variants, runs)
    bare = times["bare"]
    print(f"\npython -m accelprobe (median of {runs} fresh processes)")
    print(f"  {'bare interpreter':<28}{bare:6.1f} ms")
    ok = True
    for name in list(variants)[1:]:
        ratio = times[name] / bare
        ok = ok and ratio < BUDGET
        print(f"  {name:<28}{times[name]:6.1f} ms  {ratio:4.2f}x bare")
    print(f"report budget (< {BUDGET:g}x a bare interpreter): {verdict(ok)}")


if __name__ == "__main__":
    main()
