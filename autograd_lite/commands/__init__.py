"""Subcommands of the autograd-lite command line."""
