"""The report feature's words and notices."""
