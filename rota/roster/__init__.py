"""The rota: sessions, roles, sign-ups, waitlists and the team post."""
