"""Domain core of rotabot: rota rules with no Telegram, database or clock."""
