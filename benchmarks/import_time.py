"""Import cost of accelprobe in fresh processes, against a bare interpreter and 0.2.0.

Two environments: no backend installed, and every backend installed. In each, side by side
in one run: a bare interpreter, this checkout's code, and 0.2.0's (``git archive`` of the
commit in ``ACCELPROBE_BENCH_BASELINE``, default 0.2.0's, into ``.cache/bench/code``), each
put first on sys.path the same way; both also from a zip of sources, where no ``.pyc``
exists and every module imported is compiled. Figures are % over a bare start-up, each the
median of its differences from the bare interpreter of the same round. Budgets:
- no backend: at most 5% over bare, every backend: at most 10%; never more than 0.2.0;
- without ``.pyc`` files: at most 50% over bare (0.2.0: about 130-150%).
Unless ``--no-optimum``, also optimum's ``import_utils`` helpers (downloaded once with pip;
skipped when that fails), and the absolute budgets: <= 3 ms over bare and 10x less than
optimum with no backend, <= 2 ms over bare + ``import importlib.metadata`` and less than
optimum with every backend.
Prints the figures and whether each budget is met; always exits 0.
"""

from __future__ import annotations

import argparse
import subprocess

from common import (
    BASELINE,
    baseline_code,
    current_code,
    environment,
    on_path,
    optimum,
    prelude,
    time_processes,
    verdict,
    zipped,
)

BUDGETS = {"no backend": 5.0, "every backend": 10.0}
NO_PYC_BUDGET = 50.0


def over(times: dict[str, float], name: str) -> float:
    """``name``'s time as % over the bare interpreter's."""
    return (times[name] - times["bare"]) / times["bare"] * 100


def budgets(label: str, times: dict[str, float]) -> list[tuple[str, bool]]:
    """Each budget that ``times`` can tell, and whether it is met."""
    budget = BUDGETS[label]
    checks = [(f"new <= {budget:g}% over bare", over(times, "new") <= budget)]
    no_pyc = over(times, "new, no .pyc")
    checks.append((f"new, no .pyc <= {NO_PYC_BUDGET:g}% over bare", no_pyc <= NO_PYC_BUDGET))
    if "0.2.0" in times:
        checks.append(("new <= 0.2.0", times["new"] <= times["0.2.0"]))
        checks.append(("no .pyc: new <= 0.2.0", no_pyc <= over(times, "0.2.0, no .pyc")))
    if "optimum" in times:
        ours = times["new"] - times["bare"]
        theirs = times["optimum"] - times["bare"]
        if label == "every backend":
            met = times["new"] - times["bare+metadata"] <= 2.0 and ours < theirs
            checks.append(("<= 2 ms over bare + importlib.metadata, < optimum", met))
        else:
            met = ours <= 3.0 and theirs >= 10 * ours
            checks.append(("<= 3 ms over bare, 10x less than optimum", met))
    return checks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=60, help="fresh processes per variant")
    parser.add_argument(
        "--no-optimum", action="store_true", help="skip the comparison with optimum's helpers"
    )
    options = parser.parse_args()
    runs = options.runs
    current = current_code()
    codes = {"new": current, "new, no .pyc": zipped(current, "current")}
    baseline = baseline_code()
    if baseline is not None:
        codes |= {"0.2.0": baseline, "0.2.0, no .pyc": zipped(baseline, "baseline")}
    extra: dict[str, str] = {}
    sites = []
    if not options.no_optimum:
        try:
            optimum_site, load_optimum = optimum()
        except (OSError, subprocess.SubprocessError) as error:
            print(f"(optimum skipped: {error})")
        else:
            sites.append(optimum_site)
            extra = {"bare+metadata": "import importlib.metadata", "optimum": load_optimum}
    verdicts = []
    for label, backends in (("no backend", False), ("every backend", True)):
        pre = prelude(environment("all" if backends else "none", backends=backends), *sites)
        variants = {"bare": pre + "pass"}
        variants |= {
            name: pre + on_path(code) + "import accelprobe" for name, code in codes.items()
        }
        variants |= {name: pre + code for name, code in extra.items()}
        times = time_processes(variants, runs, paired="bare")
        print(f"\n{label} installed ({runs} rounds of fresh processes; median ms, % over bare)")
        for name, value in times.items():
            share = "" if name == "bare" else f"  {over(times, name):+6.1f}%"
            print(f"  {name:<16}{value:7.2f}{share}")
        checks = budgets(label, times)
        for what, met in checks:
            print(f"  {what}: {verdict(met)}")
        verdicts += [met for _, met in checks]
    print(f"\nbaseline: {BASELINE}")
    print(f"import budgets: {verdict(all(verdicts))}")


if __name__ == "__main__":
    try:
        main()
    except subprocess.CalledProcessError as failed:  # a benchmark reports, it never fails
        print(f"a timed process failed: {failed}")
