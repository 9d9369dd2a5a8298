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
from batch_platform.lib.config_file import CONFIG_FILE_ENV


class DeliveryResource(dg.ConfigurableResource):
    """Where scores go. Unset fields come from the environment at run time:
    $BATCH_PLATFORM_DESTINATIONS (the YAML file), $BATCH_PLATFORM_DESTINATION_URL,
    $BATCH_PLATFORM_WEBHOOK_URLS and $BATCH_PLATFORM_OUTBOX_DIR (default data/outbox)."""

    destinations_file: str | None = None
    outbox_dir: str | None = None

    def load_config(self) -> DeliveryConfig:
        env = dict(os.environ)
        if self.destinations_file:
            env[CONFIG_FILE_ENV] = self.destinations_file
        return load_delivery_config(env)

    @property
    def outbox_path(self) -> Path:
        return Path(self.outbox_dir) if self.outbox_dir else outbox_dir()


@dg.definitions
def resources() -> dg.Definitions:
    load_delivery_config()  # a malformed config fails here, naming the file and the field
    return dg.Definitions(resources={"delivery": DeliveryResource()})
