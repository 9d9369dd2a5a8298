"""The office API's results as staged Parquet segments. No Dagster here.

The fetch step normalises each batch of :class:`OfficeFetchResult` as it arrives
(:func:`office_data.api_result_rows`: the office's values as written and normalised, or the
error) and writes it as one segment of kind ``office_api_responses`` in the month's staging area
(``batch_platform.lib.staging``; :class:`ResponseStager`). The write step has DuckDB read the
segments into ``portfolio.office_snapshot``; a re-run of the fetch skips the registrations a
segment already holds a success for.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pyarrow.compute as pc

from batch_platform.defs.portfolio.logic.office_api import (
    OfficeApiConfig,
    OfficeFetchRequest,
    OfficeFetchResult,
    fetch_registrations,
)
from batch_platform.defs.portfolio.logic.office_data import api_result_rows
from batch_platform.lib.staging import StagingArea

RESPONSES_KIND = "office_api_responses"


def staged_successes(staging: StagingArea) -> set[str]:
    """Registrations a staged segment holds a success for (usable office data): not fetched
    again."""
    succeeded: set[str] = set()
    for table in staging.read(RESPONSES_KIND, columns=["registration_id", "error"]):
        succeeded.update(table.filter(pc.field("error").is_null())["registration_id"].to_pylist())
    return succeeded


def staged_registrations(staging: StagingArea) -> set[str]:
    """Registrations any staged segment holds a result for."""
    staged: set[str] = set()
    for table in staging.read(RESPONSES_KIND, columns=["registration_id"]):
        staged.update(table["registration_id"].to_pylist())
    return staged


class ResponseStager:
    """Fetches registrations and writes their results, normalised, to a staging area, ``every``
    results a segment; ``on_segment`` is told after each segment is written."""

    def __init__(
        self,
        staging: StagingArea,
        every: int,
        on_segment: Callable[[ResponseStager], None],
    ):
        self.staging = staging
        self.every = every
        self.on_segment = on_segment
        self.staged = 0
        self.failed = 0
        self.segments = 0
        self._batch: list[OfficeFetchResult] = []

    async def fetch(self, requests: Iterable[OfficeFetchRequest], config: OfficeApiConfig) -> None:
        """Fetch every request, staging results as they come. The results in hand when the
        fetch ends (finished, failed or cancelled) are staged too, so an interrupted run loses
        only the requests still in flight."""
        try:
            await fetch_registrations(requests, config, self._add)
        finally:
            self.flush()

    def _add(self, result: OfficeFetchResult) -> None:
        self._batch.append(result)
        if len(self._batch) >= self.every:
            self.flush()

    def flush(self) -> None:
        """Write the results in hand as one segment."""
        if not self._batch:
            return
        results, self._batch = self._batch, []
        self.staging.write(RESPONSES_KIND, api_result_rows(results))
        self.staged += len(results)
        self.failed += sum(not r.succeeded for r in results)
        self.segments += 1
        self.on_segment(self)
