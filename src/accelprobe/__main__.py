"""``python -m accelprobe``: print the report (see ``accelprobe.report``)."""

from accelprobe.report import main

raise SystemExit(main(prog="python -m accelprobe"))
