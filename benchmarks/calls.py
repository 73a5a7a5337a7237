"""Per-call cost once detection is cached: a flag lookup and select_accelerator().

Budgets: a flag lookup under 100 ns; select_accelerator() under 2 us.
Every backend is installed (a fake site folder) so select_accelerator() picks ``ov``.
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit

from common import environment, verdict


def per_call_ns(statement: str, setup: str, number: int) -> float:
    best = min(timeit.repeat(statement, setup, number=number, repeat=7))
    return best / number * 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=200_000, help="calls per timing")
    number = parser.parse_args().number
    os.environ.pop("ACCELPROBE_ACCELERATOR", None)
    sys.path.insert(0, str(environment("all", backends=True)))
    setup = "import accelprobe; accelprobe.select_accelerator()"
    flag = per_call_ns("f()", setup + "; f = accelprobe.is_onnxruntime_available", number)
    select = per_call_ns("s()", setup + "; s = accelprobe.select_accelerator", number)
    explicit = per_call_ns("s('ort')", setup + "; s = accelprobe.select_accelerator", number)
    print(f"\nbest of 7 x {number:,} calls (Python {sys.version.split()[0]})")
    print(f"  is_onnxruntime_available()  {flag:8.1f} ns (budget 100 ns)")
    print(f"  select_accelerator()        {select:8.1f} ns (budget 2,000 ns)")
    print(f"  select_accelerator('ort')   {explicit:8.1f} ns")
    print(f"\ncall budgets: {verdict(flag < 100 and select < 2000)}")


if __name__ == "__main__":
    main()
