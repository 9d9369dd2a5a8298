"""The landing-sensor decorator shared by every domain."""

import gc

import dagster as dg

from batch_platform.defs.common.landing_sensors import landing_sensor


@dg.op
def noop():
    pass


@dg.job
def probe_job():
    noop()


class Landing(dg.ConfigurableResource):
    folder: str = "x"


def test_a_tick_runs_with_the_collector_paused_and_gets_its_resources():
    seen = []

    @landing_sensor(name="probe", description="probe", job=probe_job)
    def probe(context: dg.SensorEvaluationContext, landing: Landing):
        seen.append((gc.isenabled(), landing.folder))
        return dg.SkipReason("nothing landed")

    assert probe.name == "probe" and probe.default_status == dg.DefaultSensorStatus.RUNNING
    result = probe(dg.build_sensor_context(resources={"landing": Landing(folder="in")}))
    assert isinstance(result, dg.SkipReason)
    assert seen == [(False, "in")]
    assert gc.isenabled()
    assert "landing" in probe.required_resource_keys
