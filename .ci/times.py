"""Print each nox session's result and duration from the JSON reports that nox wrote."""

import json
import sys
from pathlib import Path

for report in sys.argv[1:]:
    for session in json.loads(Path(report).read_text(encoding="utf-8"))["sessions"]:
        name = (session["signatures"] or [session["name"]])[0]
        print(f"  {name:<24} {session['result']:<8} {session['duration']:6.0f}")
