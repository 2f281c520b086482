"""NB1xx rules (being written)."""
