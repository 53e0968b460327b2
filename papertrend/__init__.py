"""papertrend: a self-hostable trending-papers site for arXiv."""

__version__ = "0.1.0"
