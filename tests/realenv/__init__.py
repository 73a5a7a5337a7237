"""The real-environment layer's helpers: wheelhouse, venvs, the oracle and the accelprobe child."""
