"""``PUT /v1/signals/files/{name}``: upload a signal file into the landing directory.

The body is streamed to ``<landing>/signals/<name>.<random>.part`` (a name the landing sensor
never reads), cut off with 413 past $BATCH_PLATFORM_API_MAX_UPLOAD_BYTES, then renamed to its
landing name and marked complete with ``<name>.done``: the ``signal_files_sensor`` sees the
whole file or nothing. The landing name is the URL's name made safe
(:func:`~batch_platform.api.file_names.landing_name`); the answer gives both.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse

from batch_platform.api.access import Caller, api_settings, authenticated
from batch_platform.api.bodies import limited_chunks
from batch_platform.api.file_names import FileNameError, landing_name
from batch_platform.api.problems import Problem
from batch_platform.lib.keys import partition_key_for

router = APIRouter(prefix="/v1/signals/files", tags=["signal files"])


@router.put(
    "/{name:path}",
    status_code=201,
    summary="Upload a signal file",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_signal_file(
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
    name: Annotated[str, Path(description="the file's name (CSV, JSONL, Parquet, gzip)")],
) -> JSONResponse:
    """The raw file as the body. Replaces a file of the same landing name, which is then
    ingested again under its key. 201 with the landing name, the file's partition key (its
    key in the warehouse; in Dagster its partition, or a file of a landing batch), size and
    SHA-256."""
    settings = api_settings(request)
    try:
        stored_as = landing_name(name)
    except FileNameError as error:
        raise Problem(422, "invalid_file_name", str(error), name=name[:300]) from None
    directory = settings.platform.signals_dir
    directory.mkdir(parents=True, exist_ok=True)
    partial = directory / f"{stored_as}.{secrets.token_hex(6)}.part"
    digest, size = hashlib.sha256(), 0
    try:
        # Chunks of at most 64 KiB go to the page cache: a write is microseconds.
        with open(partial, "xb") as out:
            async for chunk in limited_chunks(request, settings.max_upload_bytes):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, directory / stored_as)
    finally:
        partial.unlink(missing_ok=True)
    (directory / f"{stored_as}.done").touch()
    document = {
        "name": name,
        "stored_as": stored_as,
        "partition_key": partition_key_for(stored_as),
        "bytes": size,
        "sha256": digest.hexdigest(),
    }
    return JSONResponse(document, status_code=201)
