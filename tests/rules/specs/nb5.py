"""Fixtures for NB5xx."""

FIXTURES: dict = {}
