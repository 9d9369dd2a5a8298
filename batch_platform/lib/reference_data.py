"""Reference data users own: each domain ships defaults, and one project file extends or
overrides them ($BATCH_PLATFORM_REFERENCE, YAML, one section per domain).

Domain-free: a domain describes its section with pydantic models and merges it into its
defaults; this module reads the file (once per change of its path, size or modification time),
validates a section, names every problem by file, entry and rule, and gives each effective
set a version (a hash of its content) that tells a change apart.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    model_validator,
)

REFERENCE_FILE_ENV = "BATCH_PLATFORM_REFERENCE"
_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
Model = TypeVar("Model", bound=BaseModel)
T = TypeVar("T")


@dataclass(frozen=True)
class Problem:
    """One bad entry: where it is (``signals.event_type_spellings["LinkedIn Message"]``) and
    the rule it breaks."""

    entry: str
    rule: str


class ReferenceDataError(ValueError):
    """The reference file cannot be used: the message names the file, then each bad entry with
    the rule it breaks (never the file's other text)."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = list(problems)
        # One line: the first line of an error is what logs, the UI and `dg check defs` show.
        super().__init__(
            f"reference data in {source}: "
            + "; ".join(f"{p.entry}: {p.rule}" for p in self.problems)
        )


# Compared by identity: the same file, unchanged, is the same object (see _read_reference_file),
# so what is derived from it can be cached per object.
@dataclass(frozen=True, eq=False)
class ReferenceFile:
    """The project file's top-level sections (empty without a file) and how to name it."""

    sections: Mapping[str, Any]
    source: str
    path: Path | None = None

    def section(self, name: str) -> Any:
        return self.sections.get(name) or {}


NO_REFERENCE_FILE = ReferenceFile({}, "the shipped defaults (no $BATCH_PLATFORM_REFERENCE)")


def reference_file(env: Mapping[str, str] | None = None) -> ReferenceFile:
    """The file named by $BATCH_PLATFORM_REFERENCE, read again whenever it changes."""
    env = os.environ if env is None else env
    value = env.get(REFERENCE_FILE_ENV)
    if not value:
        return NO_REFERENCE_FILE
    path = Path(value)
    source = f"{path} (${REFERENCE_FILE_ENV})"
    try:
        stat = path.stat()
    except OSError as error:
        raise ReferenceDataError(
            source, [Problem("(file)", f"cannot read: {error.strerror}")]
        ) from None
    return _read_reference_file(path, source, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=8)
def _read_reference_file(path: Path, source: str, mtime_ns: int, size: int) -> ReferenceFile:
    # Errors name the file and a position, never its text (the file could be a wrong one).
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ReferenceDataError(
            source, [Problem("(file)", f"cannot read: {error.strerror}")]
        ) from None
    except UnicodeDecodeError as error:
        raise ReferenceDataError(
            source, [Problem("(file)", f"not UTF-8 text (byte {error.start})")]
        ) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(file)"
        problem = getattr(error, "problem", None) or "cannot be parsed"
        raise ReferenceDataError(source, [Problem(where, f"not valid YAML: {problem}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ReferenceDataError(source, [Problem("(top level)", "must be a mapping of sections")])
    return ReferenceFile(data, source, path)


def entry_path(parts: Iterable[Any]) -> str:
    """``("signals", "event_type_spellings", "LinkedIn Message")`` as
    ``signals.event_type_spellings["LinkedIn Message"]``."""
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _PLAIN_KEY.fullmatch(str(part)):
            path += f".{part}" if path else str(part)
        else:
            path += f"[{json.dumps(str(part), ensure_ascii=False)}]"
    return path or "(top level)"


def _problem(prefix: tuple[str, ...], error: Mapping[str, Any]) -> Problem:
    location = list(error["loc"])
    rule = str(error["msg"]).removeprefix("Value error, ")
    if location and location[-1] == "[key]":
        location.pop()
        rule = f"the key {rule}" if not rule.startswith("the key") else rule
    if error["type"] == "extra_forbidden":
        rule = "not a known field here (see the reference file's JSON schema)"
    return Problem(entry_path((*prefix, *location)), rule)


def validate_section(model: type[Model], data: Any, source: str, *prefix: str) -> Model:
    """``data`` (one section of the file) as ``model``; every bad entry is reported at once."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ReferenceDataError(source, [_problem(prefix, e) for e in error.errors()]) from None


def merged_section(
    file: ReferenceFile,
    model: type[Model],
    section: str,
    shipped: Model,
    merge: Callable[[Model, Model, str], tuple[T, list[Problem]]],
) -> T:
    """One domain's effective reference: ``file``'s ``section`` validated against ``model`` and
    applied to the ``shipped`` defaults by ``merge``; a ReferenceDataError names every problem."""
    given = validate_section(model, file.section(section), file.source, section)
    reference, problems = merge(shipped, given, file.source)
    if problems:
        raise ReferenceDataError(file.source, problems)
    return reference


def set_version(value: Any) -> str:
    """A short hash of a set's content (sorted keys, so key order is not a change)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def text_rule(pattern: str, what: str) -> Any:
    """A string type that must match ``pattern`` entirely; a mismatch says what it should be."""
    regex = re.compile(pattern)

    def check(value: str) -> str:
        if not regex.fullmatch(value):
            raise ValueError(f"{value!r} is not {what}")
        return value

    return Annotated[
        str,
        AfterValidator(check),
        Field(description=what, json_schema_extra={"pattern": f"^(?:{pattern})$"}),
    ]


class ListChangeBase(BaseModel):
    """How the file changes a shipped list: a plain list adds to it; ``add``/``remove`` change
    it; ``replace`` swaps it for a list of your own."""

    model_config = ConfigDict(extra="forbid")
    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)
    replace: list[str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _plain_list_adds(cls, value: Any) -> Any:
        return {"add": value} if isinstance(value, list) else value

    @classmethod
    def __get_pydantic_json_schema__(cls, core_schema, handler) -> dict[str, Any]:
        schema = handler(core_schema)
        items = handler.resolve_ref_schema(schema)["properties"]["add"]["items"]
        added = {"type": "array", "items": items, "description": "added to the shipped list"}
        return {"anyOf": [added, schema]}

    def apply(self, defaults: Sequence[str], entry: tuple[str, ...]) -> tuple[list[str], list]:
        """The changed list (order kept, no repeats) and the problems found."""
        if self.replace is not None:
            problems = (
                [Problem(entry_path(entry), "use replace alone, or add and remove, not both")]
                if self.add or self.remove
                else []
            )
            return list(dict.fromkeys(self.replace)), problems
        problems = [
            Problem(
                entry_path((*entry, "remove", position)),
                f"{value!r} is not in the shipped list, so it cannot be removed",
            )
            for position, value in enumerate(self.remove)
            if value not in defaults
        ]
        dropped = set(self.remove)
        kept = [value for value in defaults if value not in dropped]
        return list(dict.fromkeys([*kept, *self.add])), problems


def list_change_model(name: str, item: Any, what: str) -> type[ListChangeBase]:
    """A model for changing one shipped list of ``item`` values; a plain list means add."""
    return create_model(
        name,
        __base__=ListChangeBase,
        __doc__=f"Changes to the shipped list of {what}: a list adds to it.",
        add=(list[item], Field(default_factory=list, description=f"{what} to add")),
        remove=(list[item], Field(default_factory=list, description=f"shipped {what} to drop")),
        replace=(list[item] | None, Field(default=None, description=f"all the {what}")),
    )
