"""nn: layers, losses and optimizers built only on autograd_lite's public API."""
