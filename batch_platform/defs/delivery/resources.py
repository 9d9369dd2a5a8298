"""The delivery resource: destinations and webhooks from $BATCH_PLATFORM_DESTINATIONS or env.

The configuration is validated when the definitions load, so a malformed file stops the code
location with a message naming the field instead of failing at 02:00.
"""

import os
from pathlib import Path

import dagster as dg

from batch_platform.defs.delivery.logic.config import (
    DeliveryConfig,
    load_delivery_config,
    outbox_dir,
)


class DeliveryResource(dg.ConfigurableResource):
    """Where scores go: $BATCH_PLATFORM_DESTINATIONS (the YAML file),
    $BATCH_PLATFORM_DESTINATION_URL and $BATCH_PLATFORM_WEBHOOK_URLS, read from the environment
    only (run config could otherwise point delivery, and the secrets its ``auth_env`` names, at
    any file or host); the outbox directory from run config or $BATCH_PLATFORM_OUTBOX_DIR
    (default data/outbox)."""

    outbox_dir: str | None = None

    def load_config(self) -> DeliveryConfig:
        return load_delivery_config(dict(os.environ))

    @property
    def outbox_path(self) -> Path:
        return Path(self.outbox_dir) if self.outbox_dir else outbox_dir()


@dg.definitions
def resources() -> dg.Definitions:
    load_delivery_config()  # a malformed config fails here, naming the file and the field
    return dg.Definitions(resources={"delivery": DeliveryResource()})
