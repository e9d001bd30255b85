"""The people feature's words and buttons."""
