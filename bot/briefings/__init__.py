"""The briefing feature's words, buttons and notices."""
