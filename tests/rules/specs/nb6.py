"""Fixtures for NB6xx."""

FIXTURES: dict = {}
