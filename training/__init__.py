"""Training code for Depthy (synthetic data, training loop, evaluation); not shipped in the zip."""
