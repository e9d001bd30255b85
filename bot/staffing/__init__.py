"""The staffing feature's words, buttons and notices."""
