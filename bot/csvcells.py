"""Cells of the CSV files the bot and the CLI write, made safe to open in a spreadsheet.

Names, meeting points and log details are typed by people; a cell that starts with `=`, `+`,
`-` or `@` is run as a formula by Excel, LibreOffice and Google Sheets (`=HYPERLINK(...)`
leaks data when clicked). Such a cell gets a leading apostrophe, which spreadsheets show as
text and do not display. Every CSV writer goes through here.
"""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (leading blanks do not hide one)."""
    return "'" + value if value.lstrip(" ")[:1] in FORMULA_STARTS else value


def safe_row(values: Iterable[object]) -> list[object]:
    """A CSV row with every text cell made safe; numbers stay numbers."""
    return [safe_cell(v) if isinstance(v, str) else v for v in values]
