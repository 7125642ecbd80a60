"""Slices through a model's weight space: directions, and the loss on a plane or a line."""
