"""Briefings: what the team is told before the shift."""
