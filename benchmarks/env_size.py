"""Is detection flat in the size of the environment? 20 versus 2,000 installed distributions.

Both environments hold every backend; the rest are unrelated distributions with a package
each, as in a large site-packages. The cost compared is the wall time of a fresh process
that runs ``import accelprobe`` (site processing of the folder included, as in real
life). Budget (Python 3.10+): 2,000 cost at most 1.5x what 20 do.
"""

from __future__ import annotations

import argparse
import sys

from common import environment, optimum, prelude, time_processes, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="fresh processes per variant")
    runs = parser.parse_args().runs
    optimum_site, load_optimum = optimum()
    variants = {}
    for count in (20, 2000):
        pre = prelude(environment(f"size-{count}", backends=True, padding=count - 5), optimum_site)
        variants[f"bare {count}"] = pre + "pass"
        variants[f"accelprobe {count}"] = pre + "import accelprobe"
        variants[f"optimum {count}"] = pre + load_optimum
    times = time_processes(variants, runs)
    print(f"\nmedian of {runs} fresh processes, ms (Python {sys.version.split()[0]})")
    for name, value in times.items():
        print(f"  {name:<16} {value:7.2f}")
    ratio = times["accelprobe 2000"] / times["accelprobe 20"]
    theirs = times["optimum 2000"] / times["optimum 20"]
    over = [times[f"accelprobe {n}"] - times[f"bare {n}"] for n in (20, 2000)]
    print(f"  accelprobe over bare: {over[0]:.2f} ms with 20, {over[1]:.2f} ms with 2,000")
    print(f"  accelprobe 2,000 / 20: {ratio:.2f}x (budget 1.5x); optimum: {theirs:.2f}x")
    print(f"\nflatness budget: {verdict(ratio <= 1.5)}")


if __name__ == "__main__":
    main()
