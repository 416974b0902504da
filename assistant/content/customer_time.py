"""A promised time as the customer reads it: "15:00 today, São Paulo time", in the current
language (the customer's, within `speaking`) and the customer's zone."""

from __future__ import annotations

from datetime import datetime, timedelta

from babel.dates import format_date, get_timezone_location

from assistant.content.i18n import _, current_locale
from assistant.domain.communications import zone


def customer_time_phrase(moment: datetime, tz_name: str | None, now: datetime) -> str:
    """'15:00 today, São Paulo time', in the current language and the customer's zone."""
    tz = zone(tz_name)
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    clock = local.strftime("%H:%M")
    locale = current_locale()
    if local.date() == today:
        day = _("customer_time.today")
    elif local.date() == today + timedelta(days=1):
        day = _("customer_time.tomorrow")
    else:
        day = _("customer_time.on_date", date=format_date(local.date(), format="full", locale=locale))
    place = get_timezone_location(tz, locale=locale, return_city=True) if tz.key != "UTC" else "UTC"
    return _("customer_time.clock_day_place_time") % {"clock": clock, "day": day, "place": place}
