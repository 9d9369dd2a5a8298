"""Incidents: a finding opens one, it stays open while the same fingerprint is found, and closes
when it is not. Each is announced twice: once when it opens, once when it resolves.

The state (when watching began, the open incidents) is a small JSON document, kept in the alert
sensor's cursor: the evaluation that announces a change is the one that records it, so nothing
is announced twice, and a failed evaluation changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass, field

from batch_platform.defs.alerts.logic.findings import Finding


@dataclass(frozen=True)
class Incident:
    fingerprint: str
    condition: str
    subject: str
    severity: str
    title: str
    detail: str
    opened_at: str  # ISO 8601, UTC

    @classmethod
    def opened(cls, finding: Finding, now: dt.datetime) -> Incident:
        return cls(
            finding.fingerprint, finding.condition, finding.subject, finding.severity,
            finding.title, finding.detail, now.astimezone(dt.UTC).isoformat(),
        )  # fmt: skip


@dataclass(frozen=True)
class Change:
    """An incident opened or resolved by one evaluation: one notification."""

    event: str  # 'opened' or 'resolved'
    incident: Incident
    at: str  # ISO 8601, UTC


@dataclass
class AlertState:
    since: str  # when watching began (ISO 8601, UTC)
    open: dict[str, Incident] = field(default_factory=dict)

    @property
    def watching_since(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.since)

    def to_json(self) -> str:
        return json.dumps(
            {"since": self.since, "open": {k: asdict(v) for k, v in sorted(self.open.items())}},
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str | None, now: dt.datetime) -> AlertState:
        """The state a cursor holds; a new one (watching from ``now``) when there is none."""
        if not text:
            return cls(since=now.astimezone(dt.UTC).isoformat())
        data = json.loads(text)
        return cls(
            since=data["since"],
            open={key: Incident(**value) for key, value in data.get("open", {}).items()},
        )


def reconcile(
    state: AlertState,
    findings: Sequence[Finding],
    now: dt.datetime,
    unevaluated: Collection[str] = (),
) -> tuple[AlertState, list[Change]]:
    """The state after this evaluation's ``findings``, and what changed: incidents opened (a
    fingerprint not open yet) and resolved (an open one no longer found). An incident of a
    condition in ``unevaluated`` (its facts could not be read) stays as it is. An open
    incident's words are not updated: it was announced as it opened."""
    at = now.astimezone(dt.UTC).isoformat()
    found = {finding.fingerprint: finding for finding in findings}

    def stays(key: str, incident: Incident) -> bool:
        return key in found or incident.condition in unevaluated

    changes = [
        Change("resolved", incident, at)
        for key, incident in sorted(state.open.items())
        if not stays(key, incident)
    ]
    still_open = {key: incident for key, incident in state.open.items() if stays(key, incident)}
    for key, finding in sorted(found.items()):
        if key not in still_open:
            still_open[key] = Incident.opened(finding, now)
            changes.append(Change("opened", still_open[key], at))
    return AlertState(since=state.since, open=still_open), changes
