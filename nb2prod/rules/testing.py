"""NB4xx rules (being written)."""
