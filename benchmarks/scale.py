"""Detection at scale: leftovers among thousands, huge folders, thousands of sys.path entries.

Budgets:
- a leftover ``onnxruntime/`` folder among 2,000 distributions adds at most 5 ms to
  ``import accelprobe`` (against the same environment without it);
- one non-ASCII name in a folder of 20,000 entries adds at most 5 ms (against the same
  folder with ASCII names only);
- ``backend_info()`` of every backend with 5,000 ``sys.path`` folders takes under 50 ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from common import CACHE, environment, prelude, time_processes, verdict, write_dist


def _copy_tree(source: Path, target: Path) -> None:
    """Hard-link ``source`` into ``target``: the same 2,000 distributions, built once."""
    for root, folders, files in os.walk(source):
        relative = Path(root).relative_to(source)
        for folder in folders:
            (target / relative / folder).mkdir(parents=True, exist_ok=True)
        for file in files:
            destination = target / relative / file
            if not destination.exists():
                os.link(Path(root) / file, destination)


def leftover_site() -> tuple[Path, Path]:
    """2,000 distributions, and the same with a leftover ``onnxruntime/capi`` folder."""
    clean = environment("size-2000", backends=False, padding=2000)
    dirty = CACHE / "leftover-2000"
    if not (dirty / ".complete").exists():
        _copy_tree(clean, dirty)
        (dirty / "onnxruntime" / "capi").mkdir(parents=True, exist_ok=True)
        (dirty / "onnxruntime" / "capi" / "onnxruntime_pybind11_state.so").write_bytes(b"")
        (dirty / ".complete").write_text("", encoding="utf-8")
    return clean, dirty


def wide_folder(name: str, first: str) -> Path:
    """A folder of 20,000 entries (``first`` among them) with every backend installed."""
    site = CACHE / name
    if not (site / ".complete").exists():
        site.mkdir(parents=True, exist_ok=True)
        for index in range(19_990):
            (site / f"entry_{index:05d}.txt").write_bytes(b"")
        (site / first).write_bytes(b"")
        for dist, module in (("onnxruntime", "onnxruntime"), ("openvino", "openvino")):
            write_dist(site, dist, module)
        (site / ".complete").write_text("", encoding="utf-8")
    return site


def many_paths(count: int) -> Path:
    """``count`` empty folders to put on ``sys.path``, built once."""
    root = CACHE / f"paths-{count}"
    if not (root / ".complete").exists():
        for index in range(count):
            (root / f"p{index:05d}").mkdir(parents=True, exist_ok=True)
        (root / ".complete").write_text("", encoding="utf-8")
    return root


def time_backend_info(count: int, runs: int) -> tuple[float, float]:
    """Median ms of ``refresh()`` and of ``all_backends()`` after it, ``count`` folders on path."""
    site = environment("all", backends=True)
    root = str(many_paths(count))
    code = (
        "import os, sys, time\n"
        f"root = {root!r}\n"
        "sys.path[:0] = sorted(os.path.join(root, n) for n in os.listdir(root) if n[0] == 'p')\n"
        f"sys.path.append({str(site)!r})\n"
        "import accelprobe\n"
        "detect, infos = [], []\n"
        f"for _ in range({runs}):\n"
        "    start = time.perf_counter()\n"
        "    accelprobe.refresh()\n"
        "    middle = time.perf_counter()\n"
        "    accelprobe.all_backends()\n"
        "    infos.append((time.perf_counter() - middle) * 1000)\n"
        "    detect.append((middle - start) * 1000)\n"
        "print(sorted(detect)[len(detect) // 2], sorted(infos)[len(infos) // 2])\n"
    )
    command = [sys.executable, "-I", "-c", code]
    output = subprocess.run(command, check=True, capture_output=True, text=True, timeout=600)
    detect, infos = output.stdout.split()
    return float(detect), float(infos)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="fresh processes per variant")
    runs = parser.parse_args().runs
    clean, dirty = leftover_site()
    ascii_site = wide_folder("wide-ascii", "plain_name.txt")
    other_site = wide_folder("wide-non-ascii", "n\u00e4me_\u0130stanbul.txt")
    times = time_processes(
        {
            "bare 2,000": prelude(clean) + "pass",
            "2,000": prelude(clean) + "import accelprobe",
            "2,000 + leftover": prelude(dirty) + "import accelprobe",
            "20,000 ascii": prelude(ascii_site) + "import accelprobe",
            "20,000 non-ascii": prelude(other_site) + "import accelprobe",
        },
        runs,
    )
    print(f"\nmedian of {runs} fresh processes, ms (Python {sys.version.split()[0]})")
    for name, value in times.items():
        print(f"  {name:<18} {value:7.2f}")
    leftover = times["2,000 + leftover"] - times["2,000"]
    non_ascii = times["20,000 non-ascii"] - times["20,000 ascii"]
    detect, paths = time_backend_info(5000, runs)
    print(f"  leftover among 2,000: +{leftover:.2f} ms (budget 5 ms)")
    print(f"  one non-ASCII name among 20,000: +{non_ascii:.2f} ms (budget 5 ms)")
    print(f"  all_backends() with 5,000 sys.path folders: {paths:.2f} ms (budget 50 ms)")
    print(f"    (refresh() before it, clearing the import system's caches: {detect:.1f} ms)")
    ok = leftover <= 5.0 and non_ascii <= 5.0 and paths < 50.0
    print(f"\nscale budgets: {verdict(ok)}")


if __name__ == "__main__":
    main()
