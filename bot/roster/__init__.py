"""The rota feature's words, buttons and notices."""
