"""powertail: heavy (power-law) tails in four papers, as fast, reproducible software."""

__version__ = "0.1.0"
