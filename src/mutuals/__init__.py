"""Mutuals: evidence and governance for public services run by their own staff."""
