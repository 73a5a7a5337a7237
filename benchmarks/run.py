"""Run every benchmark in turn: python benchmarks/run.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent

for script in ("import_time.py", "env_size.py", "scale.py", "calls.py", "report_time.py"):
    print(f"\n=== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
