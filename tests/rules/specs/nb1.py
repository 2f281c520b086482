"""Fixtures for NB1xx."""

FIXTURES: dict = {}
