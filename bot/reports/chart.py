"""The monthly report's chart, drawn with matplotlib's Agg renderer (no display needed)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from bot.reports.texts import COUNT_LABELS, ESCALATION_LABELS, hours
from rota.reports.debriefs import (
    COUNT_KEYS,
)
from rota.reports.services import MonthlyReport

PURPLE, PINK, GREEN, AMBER, RED = "#7b4fa3", "#d0679d", "#4c9a6a", "#e0a030", "#c8423b"


def report_png(report: MonthlyReport) -> bytes:
    """The report as a chart for a funder report (matplotlib's Agg renderer: no display)."""
    from matplotlib.axes import Axes  # late: a heavy import only /report and the CLI need
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    def bars(
        axes: Axes, labels: Sequence[str], values: Sequence[float], colours: Sequence[str]
    ) -> None:
        drawn = axes.barh(range(len(values)), values, color=colours)
        axes.set_yticks(range(len(labels)), labels)
        axes.invert_yaxis()
        axes.bar_label(drawn, labels=[f"{v:g}" for v in values], padding=3)
        axes.set_xlim(0, max([*values, 1]) * 1.18)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.spines[["top", "right"]].set_visible(False)

    figure = Figure(figsize=(11, 8.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    figure.suptitle(
        f"Street outreach: {report.month.title}\n"
        f"{report.sessions_held} sessions held · {hours(report.total_minutes)} volunteer hours",
        fontsize=14,
    )
    grid = figure.add_gridspec(2, 2, height_ratios=(1, 1.3))

    time = figure.add_subplot(grid[0, 0])
    bars(
        time,
        [r.label for r in report.roles] or ["(no roles)"],
        [round(r.minutes / 60, 2) for r in report.roles] or [0],
        [PURPLE],
    )
    time.set_title("Volunteer hours by role")

    safety = figure.add_subplot(grid[0, 1])
    bars(
        safety,
        [
            "Check-ins on time",
            "Check-ins late",
            "Check-ins missed",
            *(f"Alarm: {ESCALATION_LABELS.get(k, k)}" for k in report.escalations),
        ],
        [
            report.checkins_on_time,
            report.checkins_late,
            report.checkins_missed,
            *report.escalations.values(),
        ],
        [GREEN, AMBER, RED, *([PURPLE] * len(report.escalations))],
    )
    safety.set_title("Check-ins and alarms")

    totals = figure.add_subplot(grid[1, :])
    bars(
        totals,
        [COUNT_LABELS[k] for k in COUNT_KEYS],
        [report.debrief.get(k, 0) for k in COUNT_KEYS],
        [PINK],
    )
    totals.set_title(
        f"Debrief totals ({report.debriefs_done} of {report.sessions_held} sessions debriefed)"
    )
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
