"""The platform's YAML configuration file, named by $BATCH_PLATFORM_DESTINATIONS.

One file holds every section (``destinations:`` and ``sync:`` for delivery, ``webhooks:`` for
the run-status webhooks every domain shares); each reader validates the sections it owns with
pydantic and reports errors with :func:`describe_errors`, naming the file and the field.
The environment variable keeps its historical name, because deployments already set it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import yaml
from pydantic import ValidationError

CONFIG_FILE_ENV = "BATCH_PLATFORM_DESTINATIONS"


class ConfigFileError(ValueError):
    """The configuration file cannot be used; the message names the file and the field."""


def read_config_file(env: Mapping[str, str]) -> tuple[dict, str]:
    """The file's top-level mapping (empty when no file is configured) and how to name it."""
    path_value = env.get(CONFIG_FILE_ENV)
    if not path_value:
        return {}, "environment"
    path = Path(path_value)
    source = f"{path} (${CONFIG_FILE_ENV})"
    # Errors name the file and a position, never its text: a misnamed file (a key, a catalog
    # string) must not end up in a step error or a failure webhook.
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigFileError(f"cannot read {source}: {error.strerror}") from None
    except UnicodeDecodeError as error:
        raise ConfigFileError(f"{source} is not UTF-8 text (byte {error.start})") from None
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "cannot be parsed"
        raise ConfigFileError(f"{source} is not valid YAML{where}: {problem}") from None
    if not isinstance(data, dict):
        raise ConfigFileError(f"{source}: expected a mapping at the top level")
    return dict(data), source


def _field_path(loc: tuple) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def describe_errors(error: ValidationError) -> str:
    """Every error as ``destinations[0].page_size: <message>``, joined by ``; ``."""
    return "; ".join(f"{_field_path(e['loc'])}: {e['msg']}" for e in error.errors())
