"""What one delivery run did for one destination: its sync_runs row and every record's outcome."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from batch_platform.defs.delivery.logic.sender import ItemOutcome


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class SyncResult:
    """What one run did for one destination (the sync_runs row, plus every record's outcome)."""

    run_id: str
    destination: str
    as_of_date: str | None
    started_at: dt.datetime
    queued: int = 0
    superseded: int = 0
    requests: int = 0
    dead_lettered: int = 0
    pending_after: int = 0
    # It sent a full page budget (more may be pending: another run follows the same night).
    budget_spent: bool = False
    finished_at: dt.datetime | None = None
    items: list[ItemOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def attempted(self) -> int:
        return len(self.items)

    @property
    def succeeded(self) -> int:
        return self.count("delivered")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def rejected(self) -> int:
        return self.count("rejected")

    @property
    def retried(self) -> int:
        return sum(1 for item in self.items if item.attempts > 1)

    @property
    def carried_over(self) -> int:
        return sum(1 for item in self.items if item.carried_over)

    @property
    def seconds(self) -> float:
        end = self.finished_at or utcnow()
        return round((end - self.started_at).total_seconds(), 3)

    @property
    def status(self) -> str:
        if not self.attempted:
            return "idle"
        if self.succeeded == self.attempted:
            return "ok"
        return "partial" if self.succeeded else "failed"

    @property
    def summary(self) -> str:
        text = (
            f"{self.destination}: {self.status}, {self.succeeded:,}/{self.attempted:,} delivered, "
            f"{self.failed:,} failed, {self.rejected:,} rejected, {self.retried:,} retried, "
            f"{self.dead_lettered:,} dead-lettered, {self.pending_after:,} pending"
        )
        if self.budget_spent and self.pending_after:
            text += " (page budget spent: the sync continues in another run)"
        last_errors = {item.error for item in self.items if item.error}
        if last_errors:
            text += f" (last error: {sorted(last_errors)[0]})"
        return text
