"""Staffing: reminders, short-staffing alerts and cover."""
