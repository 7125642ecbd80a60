"""Models beyond the line: a network's parameters as one flat vector, its outputs, its training."""
