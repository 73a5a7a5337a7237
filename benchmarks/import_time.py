"""Import cost of accelprobe in fresh processes, against a bare interpreter and optimum.

Two environments: no backend installed, and every backend installed; optimum itself is
installed in both (see common.optimum). ``optimum`` is its ``import_utils`` helpers, the
code that libraries copy today. Budgets:
- no backend: accelprobe <= 3 ms over bare, and at least 10x less than optimum's;
- every backend: <= 2 ms over bare + ``import importlib.metadata``, and less than optimum's.
"""

from __future__ import annotations

import argparse

from common import environment, optimum, prelude, time_processes, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="fresh processes per variant")
    runs = parser.parse_args().runs
    optimum_site, load_optimum = optimum()
    ok = True
    for label, backends in (("no backend", False), ("every backend", True)):
        site = environment("all" if backends else "none", backends=backends)
        pre = prelude(site, optimum_site)
        times = time_processes(
            {
                "bare": pre + "pass",
                "bare+metadata": pre + "import importlib.metadata",
                "accelprobe": pre + "import accelprobe",
                "optimum": pre + load_optimum,
            },
            runs,
        )
        ours = times["accelprobe"] - times["bare"]
        theirs = times["optimum"] - times["bare"]
        ratio = theirs / max(ours, 0.01)
        print(f"\n{label} installed (median of {runs} fresh processes, ms)")
        for name, value in times.items():
            print(f"  {name:<14} {value:7.2f}")
        print(f"  accelprobe over bare: {ours:.2f} ms; optimum over bare: {theirs:.2f} ms")
        if backends:
            over_metadata = times["accelprobe"] - times["bare+metadata"]
            met = over_metadata <= 2.0 and times["accelprobe"] < times["optimum"]
            print(
                f"  accelprobe over bare+importlib.metadata: {over_metadata:.2f} ms (budget 2 ms);"
                f" optimum/accelprobe: {ratio:.1f}x (budget > 1x) -> {verdict(met)}"
            )
        else:
            met = ours <= 3.0 and theirs >= 10 * ours
            print(
                f"  budget 3 ms over bare; optimum/accelprobe: {ratio:.1f}x (budget >= 10x)"
                f" -> {verdict(met)}"
            )
        ok = ok and met
    print(f"\nimport budgets: {verdict(ok)}")


if __name__ == "__main__":
    main()
