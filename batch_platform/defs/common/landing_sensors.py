"""Sensors that watch landing folders, the same way in every domain: running by default, a
cursor that remembers what was requested (``LandingWatch``: bounded by what lands at once, not
by history), new dynamic partitions added with their runs."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from typing import Any

import dagster as dg

from batch_platform.lib.landing import garbage_collection_paused


def landing_sensor(
    *, name: str, description: str, minimum_interval_seconds: int = 2, **targets: Any
) -> Callable:
    """``@dg.sensor`` running by default; ``targets`` is ``job=`` or ``jobs=``. Each tick runs
    with the garbage collector paused (``garbage_collection_paused``: a tick over 50,000 files
    took 0.95–1.25 s with it, 0.76 s without)."""

    def decorate(evaluate: Callable) -> dg.SensorDefinition:
        @functools.wraps(evaluate)  # Dagster reads the parameters (context, resources) through it
        def tick(*args: Any, **kwargs: Any) -> Any:
            with garbage_collection_paused():
                return evaluate(*args, **kwargs)

        return dg.sensor(
            name=name,
            minimum_interval_seconds=minimum_interval_seconds,
            default_status=dg.DefaultSensorStatus.RUNNING,
            description=description,
            **targets,
        )(tick)

    return decorate


def requested_fingerprints(context: dg.SensorEvaluationContext) -> dict[str, str]:
    """What earlier ticks saw, for a sensor watching a few named files: key → fingerprint."""
    return json.loads(context.cursor) if context.cursor else {}


def existing_partitions(
    context: dg.SensorEvaluationContext,
    partitions_def: dg.DynamicPartitionsDefinition,
    keys: Sequence[str],
) -> set[str]:
    """Which of ``keys`` are partitions already: asked one by one for a few keys, all at once
    for many (a tick with thousands of new files must not make a query per file)."""
    name = partitions_def.name
    assert name is not None
    if len(keys) <= 50:
        return {key for key in keys if context.instance.has_dynamic_partition(name, key)}
    return set(keys) & set(context.instance.get_dynamic_partitions(name))


def landing_sensor_result(
    run_requests: list[dg.RunRequest],
    cursor: str,
    partitions_def: dg.DynamicPartitionsDefinition | None = None,
    new_partition_keys: Sequence[str] = (),
) -> dg.SensorResult:
    """The tick's runs, its new cursor, and the dynamic partitions its runs need."""
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=cursor,
        dynamic_partitions_requests=[partitions_def.build_add_request(list(new_partition_keys))]
        if partitions_def is not None and new_partition_keys
        else [],
    )
