"""Dramatiq broker setup and thin actors that call app/ services."""
