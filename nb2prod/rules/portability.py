"""NB5xx rules (being written)."""
