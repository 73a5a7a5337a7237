"""What the tests run in a fresh interpreter: plain functions, linted and type-checked.

tests/_driver.py imports these modules by name (through a ``tests`` package it makes, not
through ``sys.path``) and calls each function the test names as ``function(result, **kw)``:
``result`` is the dict it prints as JSON for the test to read, ``kw`` the test's arguments
(JSON). A test names them with ``tests.fake.detect(..., before=f, after=partial(g, x=1))``;
a function that records nothing calls its first parameter ``_result``.

A module whose functions run ``before`` is imported before ``import accelprobe``, so what it
imports at module level no longer counts as loaded by that import (``result["imported"]``):
these modules import only light standard modules at module level (never accelprobe, or
what it loads), and each function imports what it needs. The tests that check what
``import accelprobe`` loads run nothing ``before``.
"""
