"""NB6xx rules (being written)."""
