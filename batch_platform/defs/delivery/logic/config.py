"""Delivery's configuration: the YAML file named by $BATCH_PLATFORM_DESTINATIONS, or environment.

The file is validated with pydantic, so a malformed config fails when the definitions load, with
a message naming the field (``destinations[0].page_size: Input should be greater than 0``).
Secrets never sit in the file: it names the environment variables that hold them. Each
destination and webhook signs with the secret its ``signing_secret_env`` names; one naming none
uses the shared $BATCH_PLATFORM_SIGNING_SECRET (the destination from the environment uses
$BATCH_PLATFORM_DESTINATION_SIGNING_SECRET when that is set). A named variable that is unset or
empty fails the run before anything is sent (:func:`batch_platform.lib.signing.resolve_secret`).

    destinations:
      - name: crm
        url: https://crm.example.com/api/lead-scores
        auth_header: Authorization       # sent with the value of $CRM_TOKEN
        auth_env: CRM_TOKEN
        signing_secret_env: CRM_SIGNING_SECRET   # default: $BATCH_PLATFORM_SIGNING_SECRET
        page_size: 500                   # records per request
        max_pages_per_run: 20            # the page budget of one run; more runs follow that night
        rate_limit_per_second: 20        # requests per second
        timeout_seconds: 10
    portfolio_destinations:              # where the monthly portfolio records go (same fields)
      - name: firm-pms
        url: https://pms.example.com/api/portfolio-records
        signing_secret_env: PMS_SIGNING_SECRET
    webhooks:
      - url: https://hooks.example.com/batch-platform
        signing_secret_env: HOOKS_SIGNING_SECRET
    sync:
      score_threshold: 5
      dead_letter_after_runs: 3
      night_window_end: "08:00"          # America/New_York, the morning after the scored day

The portfolio's records (status changes, renewals due, mismatches of each monthly sweep) go to
``portfolio_destinations``, and/or one from the environment
($BATCH_PLATFORM_PORTFOLIO_DESTINATION_URL, ``_AUTH``, ``_SIGNING_SECRET``); with none, they
are not sent. With no score destination configured, delivery goes to the outbox (a table and
JSONL files) through the same code path. The ``webhooks:`` section belongs to the run-status
webhooks every domain shares (:mod:`batch_platform.lib.webhooks`); it is validated here with the
rest of the file.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from batch_platform.lib.config_file import ConfigFileError, describe_errors, read_config_file
from batch_platform.lib.signing import check_secret_env_name
from batch_platform.lib.webhooks import WebhookTarget, with_env_webhooks

DESTINATION_URL_ENV = "BATCH_PLATFORM_DESTINATION_URL"
DESTINATION_AUTH_ENV = "BATCH_PLATFORM_DESTINATION_AUTH"
DESTINATION_SIGNING_SECRET_ENV = "BATCH_PLATFORM_DESTINATION_SIGNING_SECRET"
PORTFOLIO_DESTINATION_URL_ENV = "BATCH_PLATFORM_PORTFOLIO_DESTINATION_URL"
PORTFOLIO_DESTINATION_AUTH_ENV = "BATCH_PLATFORM_PORTFOLIO_DESTINATION_AUTH"
PORTFOLIO_DESTINATION_SIGNING_SECRET_ENV = "BATCH_PLATFORM_PORTFOLIO_DESTINATION_SIGNING_SECRET"
OUTBOX_URL = "http://outbox.invalid/records"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
DEFAULT_PAGES_PER_RUN = 20


class DeliveryConfigError(ValueError):
    """The delivery configuration cannot be used; the message names the file and field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RetrySettings(_Strict):
    attempts: int = Field(default=3, ge=1, le=10, description="Calls per request at most")
    base_seconds: float = Field(default=0.5, ge=0, description="Backoff base (full jitter)")
    cap_seconds: float = Field(default=30.0, ge=0, description="Longest wait between calls")
    max_retry_after_seconds: float = Field(default=120.0, ge=0)


class Destination(_Strict):
    name: str = Field(description="Lower-case name, used in tables, keys and file names")
    kind: Literal["http", "outbox"] = "http"
    url: str | None = Field(default=None, description="Where pages are POSTed (http kind)")
    auth_header: str = "Authorization"
    auth_env: str | None = Field(default=None, description="Env var holding the auth value")
    signing_secret_env: str | None = Field(
        default=None, description="Env var holding its signing secret (default: the shared one)"
    )
    page_size: int = Field(default=500, gt=0, le=10_000, description="Records per request")
    max_pages_per_run: int | None = Field(
        default=None, gt=0, description="Pages one run sends at most (default 20); more runs "
        "follow the same night while records are pending",
    )  # fmt: skip
    max_records_per_run: int | None = Field(
        default=None, gt=0, description="The budget's older spelling, in records (whole pages)"
    )
    rate_limit_per_second: float | None = Field(default=None, gt=0, description="Requests/s")
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    retry: RetrySettings = RetrySettings()

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.fullmatch(value):
            raise ValueError("must be lower-case letters, digits, '_' or '-' (at most 63)")
        return value

    @field_validator("signing_secret_env")
    @classmethod
    def _secret_env(cls, value: str | None) -> str | None:
        return None if value is None else check_secret_env_name(value)

    @model_validator(mode="before")
    @classmethod
    def _outbox_url(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("kind") == "outbox" and not data.get("url"):
            return {**data, "url": OUTBOX_URL}
        return data

    @model_validator(mode="after")
    def _one_budget(self) -> Destination:
        if self.max_pages_per_run is not None and self.max_records_per_run is not None:
            raise ValueError("give max_pages_per_run or max_records_per_run, not both")
        return self

    @property
    def page_budget(self) -> int:
        """Pages one run sends at most: ``max_pages_per_run``, or ``max_records_per_run`` in
        whole pages, or 20 (10,000 records at the default page size)."""
        if self.max_pages_per_run is not None:
            return self.max_pages_per_run
        if self.max_records_per_run is not None:
            return math.ceil(self.max_records_per_run / self.page_size)
        return DEFAULT_PAGES_PER_RUN

    @model_validator(mode="after")
    def _url(self) -> Destination:
        if self.kind == "outbox":
            return self
        if not self.url:
            raise ValueError("url is required for an http destination")
        if not re.match(r"^https?://[^/\s]+", self.url):
            raise ValueError(f"url must be an http(s) URL, got {self.url!r}")
        return self


class SyncSettings(_Strict):
    score_threshold: float = Field(default=5.0, ge=0, description="Points moved to resend")
    dead_letter_after_runs: int = Field(default=3, ge=1, description="Failed runs, then dead")
    min_success_rate: float = Field(default=0.995, ge=0, le=1)
    rejected_jump_factor: float = Field(default=2.0, ge=1)
    rejected_jump_minimum: int = Field(default=10, ge=0)
    night_window_end: dt.time = Field(
        default=dt.time(8, 0),
        description="While records are pending after a run that spent its page budget, another "
        "run follows, until this time (America/New_York) on the morning after the scored day",
    )

    @field_validator("night_window_end", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        # YAML reads an unquoted 08:00 as the integer 480 (sexagesimal minutes): take it as such.
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
            return dt.time(value // 60, value % 60)
        return value


class DeliveryConfig(_Strict):
    destinations: list[Destination] = []
    # Where the portfolio's monthly records go (http only; none: they are not sent).
    portfolio_destinations: list[Destination] = []
    webhooks: list[WebhookTarget] = []
    sync: SyncSettings = SyncSettings()

    @model_validator(mode="after")
    def _unique_names(self) -> DeliveryConfig:
        # One name, one audit history (delivery.sync_runs), whichever records it receives.
        names = [d.name for d in [*self.destinations, *self.portfolio_destinations]]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"destination names must be unique: {', '.join(repeated)} repeated")
        return self

    @model_validator(mode="after")
    def _portfolio_over_http(self) -> DeliveryConfig:
        if any(d.kind != "http" for d in self.portfolio_destinations):
            raise ValueError("portfolio_destinations must be http destinations")
        return self

    @property
    def targets(self) -> list[Destination]:
        """The configured destinations, or the outbox when none is."""
        return list(self.destinations) or [Destination(name="outbox", kind="outbox")]


def load_delivery_config(env: dict[str, str] | None = None) -> DeliveryConfig:
    """The file named by $BATCH_PLATFORM_DESTINATIONS, plus destinations/webhooks from env.

    The ``webhooks:`` section is validated here too, so a malformed file fails at load time
    whichever section is wrong; the run-status webhooks read it through
    :func:`batch_platform.lib.webhooks.load_webhook_targets`.
    """
    env = dict(os.environ) if env is None else env
    try:
        data, source = read_config_file(env)
    except ConfigFileError as error:
        raise DeliveryConfigError(str(error)) from None
    if env.get(DESTINATION_URL_ENV):
        from_env = {"name": "default", "url": env[DESTINATION_URL_ENV]}
        if env.get(DESTINATION_AUTH_ENV):
            from_env["auth_env"] = DESTINATION_AUTH_ENV
        if env.get(DESTINATION_SIGNING_SECRET_ENV):
            from_env["signing_secret_env"] = DESTINATION_SIGNING_SECRET_ENV
        data["destinations"] = [*(data.get("destinations") or []), from_env]
    if env.get(PORTFOLIO_DESTINATION_URL_ENV):
        portfolio = {"name": "portfolio", "url": env[PORTFOLIO_DESTINATION_URL_ENV]}
        if env.get(PORTFOLIO_DESTINATION_AUTH_ENV):
            portfolio["auth_env"] = PORTFOLIO_DESTINATION_AUTH_ENV
        if env.get(PORTFOLIO_DESTINATION_SIGNING_SECRET_ENV):
            portfolio["signing_secret_env"] = PORTFOLIO_DESTINATION_SIGNING_SECRET_ENV
        data["portfolio_destinations"] = [*(data.get("portfolio_destinations") or []), portfolio]
    try:
        return DeliveryConfig.model_validate(with_env_webhooks(data, env))
    except ValidationError as error:
        raise DeliveryConfigError(f"{source}: {describe_errors(error)}") from None


OUTBOX_DIR_ENV = "BATCH_PLATFORM_OUTBOX_DIR"
DEFAULT_OUTBOX_DIR = "data/outbox"


def outbox_dir(env: dict[str, str] | None = None) -> Path:
    env = dict(os.environ) if env is None else env
    return Path(env.get(OUTBOX_DIR_ENV) or DEFAULT_OUTBOX_DIR)
