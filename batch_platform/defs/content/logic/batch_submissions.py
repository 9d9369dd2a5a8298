"""What a submission asks of its batch beyond the URL list, and landing the list itself.

The job API lands a list the way the command line does (written whole, renamed into
``<landing>/url_batches/``, then a ``.done`` marker), so there is one way in: the
``url_batches_sensor`` starts every run. What the list cannot say (the run's priority in
Dagster's queue, a webhook to call when the batch ends, who submitted it) is written first,
as ``<landing>/url_batches/.submissions/<batch id>.json``: a hidden folder, which the landing
scan never takes for a list, and present before the list is complete, so the sensor that starts
the run always finds it. No Dagster here.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from batch_platform.defs.content.logic.urls import UrlList, UrlListError, parse_url_list
from batch_platform.lib.guarded_http import literal_address_refusal
from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.network_guard import AddressPolicy, parse_networks

SUBMISSIONS_FOLDER = ".submissions"
# Lists are written and validated here (hidden, so never scanned) before they are renamed in.
INCOMING_FOLDER = ".incoming"
PRIORITY_TAG = "dagster/priority"
SUBMITTED_BY_TAG = "batch_platform/submitted_by"
MIN_PRIORITY, MAX_PRIORITY = -100, 100
_MAX_SUBMISSION_BYTES = 64 * 1024
MAX_WEBHOOK_URL_LENGTH = 2048
# A batch's webhook reaches public addresses only, unless this names more networks (CIDRs).
WEBHOOK_ALLOWED_NETWORKS_ENV = "BATCH_PLATFORM_API_WEBHOOK_ALLOWED_NETWORKS"


@dataclass(frozen=True)
class BatchSubmission:
    batch_id: str
    submitted_at: str  # ISO 8601, UTC
    priority: int = 0
    webhook_url: str | None = None
    submitted_by: str | None = None

    def run_tags(self) -> dict[str, str]:
        """Tags of the batch's run: its place in Dagster's run queue, and who asked for it."""
        tags = {PRIORITY_TAG: str(self.priority)}
        if self.submitted_by:
            tags[SUBMITTED_BY_TAG] = self.submitted_by[:200]
        return tags


def submission_path(batches_dir: Path, batch_id: str) -> Path:
    if partition_key_for(batch_id) != batch_id:
        raise ValueError(f"not a batch id: {batch_id!r}")
    return batches_dir / SUBMISSIONS_FOLDER / f"{batch_id}.json"


def write_submission(batches_dir: Path, submission: BatchSubmission) -> Path:
    """Write the submission's options whole (a temporary name, then a rename)."""
    path = submission_path(batches_dir, submission.batch_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{secrets.token_hex(4)}.part")
    partial.write_text(json.dumps(asdict(submission), sort_keys=True))
    os.replace(partial, path)
    return path


def read_submission(batches_dir: Path, batch_id: str) -> BatchSubmission | None:
    """The options submitted with a batch; None for a list dropped in without any, or a file
    that is not a submission (it is ignored rather than failing the sensor)."""
    try:
        path = submission_path(batches_dir, batch_id)
        if path.stat().st_size > _MAX_SUBMISSION_BYTES:
            return None
        data = json.loads(path.read_text())
        submission = BatchSubmission(**data)
    except (OSError, ValueError, TypeError):
        return None
    priority_ok = type(submission.priority) is int and (
        MIN_PRIORITY <= submission.priority <= MAX_PRIORITY
    )
    return submission if priority_ok and submission.batch_id == batch_id else None


def land_url_list(
    batches_dir: Path, name: str, data: bytes, submission: BatchSubmission
) -> UrlList:
    """Validate ``data`` as the URL list ``name`` and land it with its submission.

    Raises :class:`UrlListError` when the list is unusable or has no valid URL: then nothing
    lands. Otherwise the submission is written, the list renamed into ``batches_dir`` and its
    ``.done`` marker added, in that order, and the parsed list (items and rejected lines) is
    returned.
    """
    if partition_key_for(name) != submission.batch_id:
        raise ValueError(f"the list {name!r} is not batch {submission.batch_id!r}")
    incoming = batches_dir / INCOMING_FOLDER
    incoming.mkdir(parents=True, exist_ok=True)
    staged = incoming / name
    staged.write_bytes(data)
    try:
        listed = parse_url_list(staged)
        if not listed.items:
            raise UrlListError(f"no valid URL to fetch ({len(listed.rejected)} rejected)")
        write_submission(batches_dir, submission)
        os.replace(staged, batches_dir / name)
    finally:
        staged.unlink(missing_ok=True)
    (batches_dir / f"{name}.done").touch()
    return listed


def webhook_policy(env: Mapping[str, str] | None = None) -> AddressPolicy:
    """Where batch webhooks may go: public addresses, and the networks
    $BATCH_PLATFORM_API_WEBHOOK_ALLOWED_NETWORKS names."""
    env = os.environ if env is None else env
    allowed = env.get(WEBHOOK_ALLOWED_NETWORKS_ENV) or ""
    return AddressPolicy(parse_networks(allowed, WEBHOOK_ALLOWED_NETWORKS_ENV))


def check_webhook_url(url: str, policy: AddressPolicy) -> str:
    """``url`` if a batch may call it when it ends; ValueError saying why not.

    http or https, a host, no credentials, no whitespace, at most 2,048 characters, and not an
    address the policy refuses (an address or ``localhost`` is checked here; a name is checked
    on every connection, when the webhook is sent).
    """
    if len(url) > MAX_WEBHOOK_URL_LENGTH:
        raise ValueError(f"longer than {MAX_WEBHOOK_URL_LENGTH} characters")
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise ValueError("contains whitespace or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError as error:
        raise ValueError(f"unparseable URL ({error})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError(f"scheme {parts.scheme or '(none)'!r} is not http or https")
    if not parts.hostname:
        raise ValueError("no host")
    if parts.username or parts.password:
        raise ValueError("carries credentials; put a token in the path or query instead")
    refusal = literal_address_refusal(policy, url)
    if refusal:
        raise ValueError(
            f"{refusal} (allowed: public addresses and {WEBHOOK_ALLOWED_NETWORKS_ENV})"
        )
    return url
