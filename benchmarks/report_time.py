"""Wall time of ``python -m accelprobe`` (the whole report) with nothing installed.

Issue 3 asks for a useful report in under 50 ms of wall time on such a machine.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from common import environment, prelude, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="fresh processes")
    runs = parser.parse_args().runs
    code = prelude(environment("none", backends=False)) + (
        "import runpy, sys; sys.argv = ['accelprobe']; "
        "runpy.run_module('accelprobe', run_name='__main__')"
    )
    samples = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-c", code], check=True, stdout=subprocess.DEVNULL)
        samples.append((time.perf_counter() - start) * 1000)
    median = sorted(samples[1:])[runs // 2]
    print(f"\npython -m accelprobe, nothing installed: median {median:.1f} ms of {runs} runs")
    print(f"report budget (50 ms): {verdict(median < 50)}")


if __name__ == "__main__":
    main()
