"""The fake runtimes' source: tests/runtimes.py copies each file into a fake site.

Each of ``onnxruntime.py``, ``openvino.py``, ``torch.py`` and
``intel_extension_for_pytorch.py`` becomes that package's ``__init__.py`` there, with
``_fake.py`` beside it (the behaviour ``FAKE_RUNTIME`` picks at import); ``numpy.py`` is
the fake numpy. Here they are only linted and type-checked, never imported by the tests.
"""
