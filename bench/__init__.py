"""Benchmarks: the real bot against the strict fake Telegram; numbers, not pass/fail tests."""
