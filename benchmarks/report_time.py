"""Wall time of ``python -m accelprobe`` (the whole report) with nothing installed.

Issue 3 asks for a useful report in under 50 ms of wall time on such a machine; a bare
interpreter is timed beside it, in the same run, for scale.
"""

from __future__ import annotations

import argparse

from common import environment, prelude, time_processes, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="fresh processes per variant")
    runs = parser.parse_args().runs
    pre = prelude(environment("none", backends=False))
    report = "import runpy, sys; sys.argv = ['accelprobe']; "
    report += "runpy.run_module('accelprobe', run_name='__main__')"
    times = time_processes({"bare": pre + "pass", "report": pre + report}, runs)
    print(f"\npython -m accelprobe, nothing installed (median of {runs} fresh processes)")
    print(f"  bare interpreter {times['bare']:6.1f} ms")
    print(f"  the report       {times['report']:6.1f} ms")
    print(f"report budget (50 ms): {verdict(times['report'] < 50)}")


if __name__ == "__main__":
    main()
