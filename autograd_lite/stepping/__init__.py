"""The backward pass one node at a time (`backward_steps`, `BackwardStep`)."""
