"""Fixtures for NB2xx."""

FIXTURES: dict = {}
