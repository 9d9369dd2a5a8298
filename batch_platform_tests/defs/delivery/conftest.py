"""A platform with the delivery resource, destinations written as YAML under tmp_path."""

import dagster as dg
import pytest
import yaml

from batch_platform.defs.delivery.assets import delivered_scores
from batch_platform.defs.delivery.resources import DeliveryResource
from batch_platform_tests.defs.delivery.scores import FAST_RETRY, SECRET, seed_scores


class DeliveryPlatform:
    def __init__(self, platform, tmp_path, monkeypatch):
        self.platform = platform
        self.monkeypatch = monkeypatch
        self.config_path = tmp_path / "destinations.yaml"
        self.outbox = tmp_path / "outbox"
        self.resources = platform.resources | {
            "delivery": DeliveryResource(outbox_dir=str(self.outbox))
        }

    def configure(self, url: str | None = None, sync: dict | None = None, **destination) -> None:
        """Write the destinations file (none: the outbox) and point the resource at it."""
        data: dict = {"sync": sync or {}}
        if url:
            data["destinations"] = [{"name": "crm", "url": url, "retry": FAST_RETRY, **destination}]
        self.config_path.write_text(yaml.safe_dump(data))
        # The destinations file is named by the environment only, as in production.
        self.monkeypatch.setenv("BATCH_PLATFORM_DESTINATIONS", str(self.config_path))

    def seed(self, day: str, scores: dict[str, float]) -> None:
        with self.platform.resources["duckdb"].get_connection() as con:
            seed_scores(con, day, scores)

    def deliver(self, day: str, raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            [delivered_scores],
            partition_key=day,
            resources=self.resources,
            instance=self.platform.instance,
            raise_on_error=raise_on_error,
        )

    def query(self, sql: str, params=None) -> list[tuple]:
        return self.platform.query(sql, params)


@pytest.fixture
def delivery(platform, tmp_path, monkeypatch):
    monkeypatch.setenv("BATCH_PLATFORM_SIGNING_SECRET", SECRET)
    monkeypatch.delenv("BATCH_PLATFORM_DESTINATIONS", raising=False)
    monkeypatch.delenv("BATCH_PLATFORM_DESTINATION_URL", raising=False)
    monkeypatch.delenv("BATCH_PLATFORM_WEBHOOK_URLS", raising=False)
    return DeliveryPlatform(platform, tmp_path, monkeypatch)


def checks_of(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
