"""The ``autograd-lite`` command and its subcommands (demo, gradcheck, graph)."""
