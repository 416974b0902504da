"""A promised time as the customer reads it: "15:00 today, São Paulo time", in the current
language (the customer's, within `speaking`) and the customer's zone."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from babel.dates import format_date, get_timezone_gmt, get_timezone_location

from assistant.content.i18n import _, current_locale
from assistant.domain.communications import zone
from assistant.domain.contacts import CUSTOMER_ZONES


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


def zone_options(also: str | None = None) -> list[dict[str, str]]:
    """The customers' usual zones for a select, each named in the reader's language by Babel
    ("Horário Brasil (São Paulo)", not "America/Sao_Paulo"), in the order of CUSTOMER_ZONES;
    `also` (a zone chosen elsewhere, an account's) first when the list lacks it."""
    zones = ([also] if also and also not in CUSTOMER_ZONES else []) + list(CUSTOMER_ZONES)
    return [{"value": name, "label": zone_label(name)} for name in zones]


def zone_label(name: str) -> str:
    """A zone as the reader names it ("Horário Brasil (São Paulo)"); one Babel does not know, as stored."""
    return _zone_label(name, current_locale())


@functools.lru_cache(maxsize=512)
def _zone_label(name: str, locale: str) -> str:
    # Babel's names cost a fifth of a millisecond each; a form offers 23 of them.
    if name == "UTC":
        return name
    if name.startswith("Etc/"):
        # POSIX names read backwards (Etc/GMT+3 is three hours behind): say the offset itself.
        return get_timezone_gmt(datetime(2026, 1, 1, tzinfo=zone(name)), locale=locale)
    try:
        return get_timezone_location(name, locale=locale)
    except LookupError:
        return name


def default_zone(*choices: str | None) -> str | None:
    """The first of `choices` (the contacts', the account's, the CSM's) that names a real zone."""
    for name in choices:
        if name and zone(name).key == name:
            return name
    return None
