"""NB2xx rules (being written)."""
