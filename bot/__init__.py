"""rotabot's Telegram layer: the only package that imports python-telegram-bot."""
