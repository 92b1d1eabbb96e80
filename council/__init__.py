"""Council: a case manager for community consultation stations (议事驿站)."""

__version__ = "0.1.0"
