"""The privacy feature's words."""
