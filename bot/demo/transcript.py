"""The demo's transcript: printed as it happens, kept for the summary and the HTML page."""

from __future__ import annotations

import dataclasses
import html
from typing import TextIO

RESET = "\033[0m"
COLOURS = {
    "scene": "\033[1;35m",
    "bot": "\033[36m",
    "person": "\033[32m",
    "press": "\033[33m",
    "answer": "\033[2m",
    "note": "\033[2;37m",
    "ok": "\033[32m",
    "bad": "\033[1;31m",
}
PREVIEW_LINES = 8  # a long message (the briefing) is cut in the printed transcript, not in HTML


@dataclasses.dataclass(frozen=True, slots=True)
class Entry:
    """One line of the night: who did what, in which chat, at which (simulated) local time."""

    kind: str  # scene, bot, edit, person, press, answer, note
    time: str
    chat: str
    who: str
    text: str
    buttons: tuple[tuple[str, ...], ...] = ()
    keyboard: tuple[tuple[str, ...], ...] = ()


def button_row(labels: tuple[str, ...], *, reply: bool = False) -> str:
    """Buttons shown like `[ We're OK ] [ Need help ]`; a reply keyboard with braces."""
    left, right = ("{ ", " }") if reply else ("[ ", " ]")
    return " ".join(f"{left}{label}{right}" for label in labels)


class Transcript:
    """Collects entries and prints each one at once (ANSI colours only on a terminal)."""

    def __init__(self, out: TextIO, *, colour: bool) -> None:
        self.out = out
        self.colour = colour
        self.entries: list[Entry] = []

    def _paint(self, kind: str, text: str) -> str:
        if not self.colour:
            return text
        return f"{COLOURS.get(kind, '')}{text}{RESET}"

    def add(self, entry: Entry) -> None:
        """Record and print one entry."""
        self.entries.append(entry)
        self.out.write(self.render(entry) + "\n")
        self.out.flush()

    def line(self, text: str = "", kind: str = "note") -> None:
        """Print a line that is not part of the night (the summary)."""
        self.out.write(self._paint(kind, text) + "\n")
        self.out.flush()

    def render(self, entry: Entry) -> str:
        """One entry as plain (or coloured) text lines."""
        pad = " " * 8
        if entry.kind == "scene":
            return "\n" + self._paint("scene", f"── {entry.time}  {entry.text} ──")
        head = f"{entry.time}  "
        if entry.kind == "bot":
            label = f"bot → {entry.chat}: "
        elif entry.kind == "edit":
            label = f"bot edits its message in {entry.chat}: "
        elif entry.kind == "person":
            where = "" if entry.chat == entry.who else f" (in {entry.chat})"
            label = f"{entry.who}{where}: "
        elif entry.kind == "press":
            label = f"{entry.who} presses "
        elif entry.kind == "answer":
            head, label = pad, "↳ "
        else:
            label = ""
        lines = [line for line in entry.text.splitlines() if line.strip()] or [""]
        if len(lines) > PREVIEW_LINES:
            lines = [*lines[:PREVIEW_LINES], f"(… {len(lines) - PREVIEW_LINES} more lines)"]
        kind = "bot" if entry.kind in ("bot", "edit") else entry.kind
        out = [self._paint(kind, head + label + lines[0])]
        out += [self._paint(kind, pad + "  " + rest) for rest in lines[1:]]
        for row in entry.buttons:
            out.append(pad + "  " + self._paint("press", button_row(row)))
        for row in entry.keyboard:
            out.append(pad + "  " + self._paint("press", button_row(row, reply=True)))
        return "\n".join(out)

    def text(self) -> str:
        """The whole transcript as plain text."""
        plain = Transcript.__new__(Transcript)
        plain.colour = False
        return "\n".join(plain.render(e) for e in self.entries)


_CSS = """
body{font-family:system-ui,sans-serif;background:#e9eef3;margin:0;padding:1em}
main{max-width:46em;margin:auto}
h1{font-size:1.3em}
.scene{margin:1.5em 0 .5em;font-weight:bold;color:#6a1b9a;text-align:center}
.msg{margin:.35em 0;display:flex;flex-direction:column}
.bubble{max-width:80%;padding:.45em .7em;border-radius:.8em;white-space:pre-wrap;
  box-shadow:0 1px 1px #0002}
.bot .bubble{background:#fff;align-self:flex-start}
.edit .bubble{background:#f6f6f6;align-self:flex-start;border:1px dashed #aaa}
.person .bubble{background:#dcf8c6;align-self:flex-end}
.press,.answer,.note{font-size:.85em;color:#555;align-self:center}
.meta{font-size:.75em;color:#777}
.person .meta{align-self:flex-end}
.buttons span{display:inline-block;margin:.2em .2em 0 0;padding:.2em .6em;border-radius:.4em;
  background:#5b8bd0;color:#fff;font-size:.85em}
.keyboard span{background:#888}
pre.summary{background:#fff;padding:1em;border-radius:.5em;white-space:pre-wrap}
"""


def html_page(entries: list[Entry], summary: str, title: str) -> str:
    """A self-contained chat-style page; every piece of text is escaped."""
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(title)}</title><style>{_CSS}</style></head><body><main>",
        f"<h1>{e(title)}</h1>",
    ]
    for entry in entries:
        if entry.kind == "scene":
            parts.append(f'<div class="scene">{e(entry.time)} · {e(entry.text)}</div>')
            continue
        if entry.kind in ("bot", "edit"):
            verb = "bot → " if entry.kind == "bot" else "bot edited, in "
            meta = f"{entry.time} · {verb}{entry.chat}"
        elif entry.kind == "person":
            meta = f"{entry.time} · {entry.who}" + (
                "" if entry.chat == entry.who else f" in {entry.chat}"
            )
        else:
            meta = entry.time
        if entry.kind in ("press", "answer", "note"):
            prefix = {"press": f"{entry.who} pressed ", "answer": "↳ ", "note": ""}[entry.kind]
            parts.append(
                f'<div class="msg {entry.kind}">{e(meta)} · {e(prefix + entry.text)}</div>'
            )
            continue
        buttons = "".join(
            '<div class="buttons">' + "".join(f"<span>{e(b)}</span>" for b in row) + "</div>"
            for row in entry.buttons
        )
        keyboard = "".join(
            '<div class="buttons keyboard">'
            + "".join(f"<span>{e(b)}</span>" for b in row)
            + "</div>"
            for row in entry.keyboard
        )
        parts.append(
            f'<div class="msg {entry.kind}"><span class="meta">{e(meta)}</span>'
            f'<div class="bubble">{e(entry.text)}{buttons}{keyboard}</div></div>'
        )
    parts.append(f'<h2>Summary</h2><pre class="summary">{e(summary)}</pre>')
    parts.append("</main></body></html>")
    return "\n".join(parts) + "\n"
