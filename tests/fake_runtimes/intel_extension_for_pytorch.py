"""The fake IPEX: a version (its devices are the fake torch's)."""

from ._fake import start

MODE = start()
__version__ = "2.8.0+xpu"
