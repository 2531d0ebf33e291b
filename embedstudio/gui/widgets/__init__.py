"""Reusable widgets the panels are built from."""
