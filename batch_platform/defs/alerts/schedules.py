"""The data conditions evaluated every hour, so their checks in the UI stay current."""

import dagster as dg

from batch_platform.defs.alerts.jobs import hourly_data_conditions_job
from batch_platform.defs.signals.partitions import TIMEZONE

hourly_data_conditions_schedule = dg.ScheduleDefinition(
    name="hourly_data_conditions_schedule",
    job=hourly_data_conditions_job,
    cron_schedule="5 * * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Five past every hour: the data conditions' checks (the alert sensor judges "
    "them every minute).",
)


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(schedules=[hourly_data_conditions_schedule])
