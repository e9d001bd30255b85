"""`rotabot demo`: a whole Wednesday night played by the real bot on a fake Telegram."""

from bot.demo.night import EXPECTED, DemoOptions, run_demo

__all__ = ["EXPECTED", "DemoOptions", "run_demo"]
