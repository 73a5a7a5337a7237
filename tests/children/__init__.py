"""What the tests run in a fresh interpreter: plain functions, linted and type-checked.

tests/_driver.py imports these modules by name (through a ``tests`` package it makes, not
through ``sys.path``) and calls each function the test names as ``function(result, **kw)``:
``result`` is the dict it prints as JSON for the test to read, ``kw`` the test's arguments
(JSON). A test names them with ``tests.fake.detect(..., before=f, after=partial(g, x=1))``.

A module whose functions run ``before`` is imported before ``import accelprobe``: at module
level these modules import nothing from accelprobe (or from what accelprobe may import at
its own import), so that they cannot hide what importing accelprobe loads; each function
imports what it needs.
"""
