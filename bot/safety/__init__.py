"""The safety feature's words, buttons and notices."""
