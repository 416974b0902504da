"""The weekly digest's chart: the week's cases per day and the on-time rate, as a PNG (matplotlib)."""

from __future__ import annotations

import io

from babel.dates import format_date

# Figure without pyplot: no global state, safe from any thread, no screen needed.
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from assistant.content.i18n import _, current_locale
from assistant.domain.digest import Digest


def digest_chart(digest: Digest) -> bytes:
    labels = [day.day.strftime("%a %d") for day in digest.days]
    positions = range(len(labels))
    figure = Figure(figsize=(8, 4), dpi=100)
    cases_axis = figure.subplots()
    width = 0.4
    cases_axis.bar(
        [p - width / 2 for p in positions], [d.opened for d in digest.days], width, label=_("chart.opened")
    )
    cases_axis.bar(
        [p + width / 2 for p in positions],
        [d.resolved for d in digest.days],
        width,
        label=_("chart.resolved"),
    )
    cases_axis.set_ylabel(_("chart.cases"))
    cases_axis.set_xticks(list(positions), labels)
    cases_axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    rate_axis = cases_axis.twinx()
    rates = [d.on_time_rate for d in digest.days]
    rate_axis.plot(
        [p for p, r in zip(positions, rates, strict=True) if r is not None],
        [r for r in rates if r is not None],
        color="black",
        marker="o",
        label=_("chart.promises_kept_time"),
    )
    rate_axis.set_ylim(0, 1.05)
    rate_axis.yaxis.set_major_formatter(PercentFormatter(1.0))
    rate_axis.set_ylabel(_("chart.time"))
    handles = cases_axis.get_legend_handles_labels()[0] + rate_axis.get_legend_handles_labels()[0]
    figure.legend(handles=handles, loc="lower center", ncols=3, fontsize="small", frameon=False)
    first = format_date(digest.days[0].day, "dd MMM", locale=current_locale())
    last = format_date(digest.days[-1].day, "dd MMM y", locale=current_locale())
    cases_axis.set_title(_("chart.escalations_first_last", first=first, last=last))
    figure.tight_layout(rect=(0, 0.07, 1, 1))  # room for the legend below
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
