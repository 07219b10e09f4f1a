"""optscale: connect AI coding clients to an OptScale AI Gateway."""

__version__ = "0.1.0"
