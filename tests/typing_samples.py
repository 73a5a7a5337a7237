"""The README's model_class() sample, verbatim, for mypy --strict alone (never imported).

``nox -s typing`` checks it as a user's ``mypy --strict`` would check their program: what
``model_class()`` returns must offer ``from_pretrained``. tests/test_samples.py checks that
it is still the README's sample, line for line.
"""

import accelprobe

path = "sentence-transformers/all-MiniLM-L6-v2"  # a Hub id or a model folder

try:
    model_type = accelprobe.model_class("feature-extraction")
except ImportError as error:  # no accelerator with its optimum integration
    print(f"no accelerated model class:\n{error}")
else:
    import transformers

    model = model_type.from_pretrained(path, export=True)
    pipe = transformers.pipeline("feature-extraction", model=model, tokenizer=path)
    print(len(pipe("some text")[0]), "token vectors")
