"""What an alert receiver gets: Slack-compatible JSON (a ``text``) with the incident's fields.

A Slack (or Mattermost, Teams workflow, Discord ``/slack``) incoming webhook shows ``text`` and
ignores the rest; a receiver of its own reads ``event`` and ``alert``. The ``webhook-id`` of an
announcement is derived from the incident and the event, so a receiver can drop a repeat.
"""

from __future__ import annotations

from batch_platform.defs.alerts.logic.incidents import Change
from batch_platform.lib.signing import message_id_for

_MARK = {"critical": ":red_circle:", "warning": ":warning:"}


def alert_message_id(change: Change) -> str:
    incident = change.incident
    return message_id_for("alert", incident.fingerprint, incident.opened_at, change.event)


def alert_text(change: Change) -> str:
    incident = change.incident
    if change.event == "resolved":
        return (
            f":white_check_mark: RESOLVED {incident.title} (open since {incident.opened_at[:16]}"
            " UTC)"
        )
    mark = _MARK.get(incident.severity, ":warning:")
    return f"{mark} {incident.severity.upper()} {incident.title}: {incident.detail}"


def alert_payload(change: Change, ui_url: str) -> dict:
    """The body of one announcement; ``ui_url`` links to the Dagster UI."""
    incident = change.incident
    link = (
        f"{ui_url}/runs/{incident.subject}"
        if incident.condition == "run_overdue"
        else f"{ui_url}/overview/activity"
    )
    return {
        "text": f"{alert_text(change)} <{link}|open in Dagster>",
        "event": f"alert.{change.event}",
        "alert": {
            "fingerprint": incident.fingerprint,
            "condition": incident.condition,
            "subject": incident.subject,
            "severity": incident.severity,
            "title": incident.title,
            "detail": incident.detail,
            "opened_at": incident.opened_at,
            "resolved_at": change.at if change.event == "resolved" else None,
        },
        "url": link,
    }
