"""Fixtures for NB4xx."""

FIXTURES: dict = {}
