"""An account in a line of mrkdwn, the same on the case card, `/escalate status`, the Home tab and
the affected-accounts modal: "enterprise · $120,000 · renewal in 40 days · health 25 (down from
45) · CSM @carla". Escaped here, once; the templates put the line in as it is."""

from __future__ import annotations

from typing import Any

from assistant.content.i18n import _
from assistant.rendering.escape import channel_link, escape_mrkdwn, mention


def facts_line(facts: dict[str, Any]) -> str:
    """What the directory says of an account (`services.accounts` facts), or that it does not know it."""
    parts = []
    if facts.get("tier"):
        parts.append(escape_mrkdwn(facts["tier"], 40))
    if facts.get("value"):
        parts.append(facts["value"])
    days = facts.get("renewal_days")
    if days is not None:
        renewal = _("account_line.renewal_in_days", num=days)
        parts.append(renewal if days >= 0 else _("account_line.renewal_date_passed"))
    health, before = facts.get("health"), facts.get("health_before")
    if health is not None:
        trend = ""
        if before is not None and before != health:
            trend = " " + (
                _("account_line.down_from_before", before=before)
                if before > health
                else _("account_line.up_from_before", before=before)
            )
        parts.append(_("account_line.health_score", score=health) + trend)
    if facts.get("csm_id"):
        parts.append(_("account_line.csm_person", person=mention(facts["csm_id"])))
    if facts.get("sponsor_id"):
        parts.append(_("account_line.sponsor_person", person=mention(facts["sponsor_id"])))
    return " · ".join(parts) if parts else _("account_line.not_directory_yet")


def earlier_line(facts: dict[str, Any]) -> str:
    """The account's escalations opened before this one (last 90 days), with their channels:
    "earlier: *ESC-2* <#C0123>, *ESC-1*"."""
    cases = [
        f"*{e['key']}*" + (f" {channel_link(e['channel_id'])}" if e.get("channel_id") else "")
        for e in facts.get("earlier", [])
    ]
    return _("account_line.earlier_cases", cases=", ".join(cases)) if cases else ""


def at_risk_line(facts: dict[str, Any]) -> str | None:
    """The contract value at risk in bold, with how many accounts, when other accounts are hit:
    "*$370,000* at risk in all 3 accounts"."""
    if not facts.get("at_risk"):
        return None
    total, count = facts["at_risk"], facts["accounts_count"]
    return _("account_line.value_at_risk_all_num_accounts", value="*" + total + "*", num=count)


def affected_line(affected: list[dict[str, Any]], separator: str, budget: int = 1200) -> str:
    """The other accounts hit, each with its tier and value: "Globex (enterprise · $200,000)";
    as many as fit in `budget` characters, then how many more (Slack allows 3,000 a text)."""
    shown: list[str] = []
    used = 0
    for index, account in enumerate(affected):
        about = [escape_mrkdwn(account["tier"], 40)] if account.get("tier") else []
        about += [account["value"]] if account.get("value") else []
        line = escape_mrkdwn(account["name"], 100) + (" (" + " · ".join(about) + ")" if about else "")
        if used + len(line) + len(separator) > budget:
            shown.append(_("account_line.num_more", num=len(affected) - index))
            break
        shown.append(line)
        used += len(line) + len(separator)
    return separator.join(shown)
