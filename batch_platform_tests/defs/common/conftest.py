"""The run webhooks are tested on delivery runs, so the delivery platform fixture is shared."""

from batch_platform_tests.defs.delivery.conftest import delivery  # noqa: F401
