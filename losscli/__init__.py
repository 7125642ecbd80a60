"""losscli: see a loss function's surface over (w1, w2) of the line model p = w1·x + w2."""

__version__ = "0.1.0"
