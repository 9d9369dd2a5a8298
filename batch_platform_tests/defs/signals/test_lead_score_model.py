"""The lead-score model in Dagster: trained from clean.signals, gated by its checks, shown in the
UI, used by lead scores (or not), and its reasons delivered downstream."""

import datetime as dt
import json

import dagster as dg

from batch_platform.defs.delivery.logic.config import DeliveryConfig
from batch_platform.defs.delivery.logic.runner import deliver
from batch_platform.defs.signals.assets._common import LEAD_SCORE_MODELS
from batch_platform.defs.signals.assets.lead_score_model import lead_score_model
from batch_platform.defs.signals.assets.scores import LEAD_SCORES, lead_scores
from batch_platform.defs.signals.logic.lead_score_training import ModelTrainingSettings
from batch_platform.defs.signals.logic.sample_outcomes import generate_outcome_history
from batch_platform.defs.signals.partitions import TIMEZONE
from batch_platform.defs.signals.schedules import weekly_lead_score_model_schedule
from batch_platform_tests.defs.signals.lead_score_world import (
    cohorts_for_training,
    load_world,
    simulate_world,
)

AS_OF = dt.date(2026, 6, 28)
HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
MODEL_CONFIG = {"as_of_date": AS_OF.isoformat(), "account_outcomes": False}


def world_in_warehouse(platform, **sizes) -> None:
    cohorts = cohorts_for_training(
        AS_OF, ModelTrainingSettings(account_outcomes=False), **sizes, current=150
    )
    with platform.resources["duckdb"].get_connection() as con:
        load_world(con, simulate_world(cohorts, seed=2))


def train(platform) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        [lead_score_model],
        resources=platform.resources,
        instance=platform.instance,
        run_config={"ops": {"lead_score_model": {"config": MODEL_CONFIG}}},
    )
    assert result.success
    return result


def checks_of(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def metadata_of(result, key: dg.AssetKey) -> dict:
    events = result.get_asset_materialization_events()
    return next(e.materialization.metadata for e in events if e.asset_key == key)


def score_day(platform, day=AS_OF) -> dg.ExecuteInProcessResult:
    result = dg.materialize(
        [lead_scores],
        partition_key=day.isoformat(),
        resources=platform.resources,
        instance=platform.instance,
    )
    assert result.success
    return result


def test_an_approved_model_scores_leads_and_its_reasons_are_delivered(platform, tmp_path):
    world_in_warehouse(platform, train_weeks=8, per_train_week=250, per_holdout_week=300)
    result = train(platform)
    checks = checks_of(result)
    assert all(c.passed for c in checks.values()), {n: c.description for n, c in checks.items()}
    metadata = metadata_of(result, LEAD_SCORE_MODELS)
    version = metadata["model_version"].value
    assert metadata["approved"].value is True
    assert metadata["holdout_auc"].value > metadata["rule_holdout_auc"].value + 0.02
    assert metadata["lift_chart"].value.startswith("![lift per decile](data:image/png;base64,")
    assert metadata["calibration_plot"].value.startswith("![calibration](data:image/png;base64,")
    weights = metadata["weights"].value.records
    assert {r.data["driver"] for r in weights} >= {"webinar_attended", "fit_target_industry"}
    stored = platform.query(
        "SELECT approved, trained_as_of, holdout_auc, decision FROM scores.lead_score_models"
    )
    assert stored[0][:2] == (True, AS_OF) and stored[0][3].startswith("approved: holdout AUC")
    features = platform.query("SELECT count(*) FROM scores.lead_score_model_weights")[0][0]
    assert features == len(weights)

    scored = score_day(platform)
    scores_metadata = metadata_of(scored, LEAD_SCORES)
    assert scores_metadata["score_model"].value == version
    rows = platform.query(
        "SELECT email, score, conversion_probability, rule_score, score_model_version, "
        "score_reasons::VARCHAR FROM scores.lead_scores WHERE as_of_date = $day",
        {"day": AS_OF},
    )
    # The contacts active in the week up to the day, and those with only a deal in the lookback.
    assert len(rows) > 150
    for _, score, probability, rule_score, model_version, reasons in rows:
        assert score == round(100 * probability, 2) and rule_score is not None
        assert model_version == version
        assert len(json.loads(reasons)) <= 3
    assert any(len(json.loads(r[5])) == 3 for r in rows)
    assert not [c for c in scored.get_asset_check_evaluations() if not c.passed
                and c.check_name != "data_not_late"]  # fmt: skip
    # A day before the model's history ends is still scored by the rules.
    score_day(platform, AS_OF - dt.timedelta(days=1))
    assert platform.query(
        "SELECT DISTINCT score_model_version FROM scores.lead_scores WHERE as_of_date = $day",
        {"day": AS_OF - dt.timedelta(days=1)},
    ) == [("rules",)]

    with platform.resources["duckdb"].get_connection() as con:
        deliver(
            con, DeliveryConfig(), run_id="run-1", as_of_date=AS_OF.isoformat(),
            outbox_dir=tmp_path / "outbox", reports_dir=tmp_path / "reports",
            env={"BATCH_PLATFORM_SIGNING_SECRET": "test-secret"},
        )  # fmt: skip
        sent = [
            json.loads(r[0]) for r in con.execute("SELECT record FROM delivery.outbox").fetchall()
        ]
    assert sent and {r["score_model_version"] for r in sent} == {version}
    stored_reasons = {r[0]: json.loads(r[5]) for r in rows}
    assert all(r["score_reasons"] == stored_reasons[r["contact"]] for r in sent)
    assert any(len(r["score_reasons"]) == 3 for r in sent)


def test_too_few_outcomes_keep_the_rules_and_the_checks_say_why(platform):
    world_in_warehouse(platform, train_weeks=4, per_train_week=60, per_holdout_week=100)
    checks = checks_of(train(platform))
    assert checks["key_unique"].passed
    assert not checks["enough_outcomes"].passed
    assert checks["enough_outcomes"].severity == dg.AssetCheckSeverity.WARN
    assert "too few outcomes" in checks["enough_outcomes"].description
    assert checks["enough_outcomes"].description.endswith("the rules stay")
    assert platform.query("SELECT approved FROM scores.lead_score_models") == [(False,)]
    scored = score_day(platform)
    metadata = metadata_of(scored, LEAD_SCORES)
    assert metadata["score_model"].value == "rules"
    assert "no approved lead-score model" in metadata["score_model_reason"].value
    assert platform.query(
        "SELECT DISTINCT score_model_version, conversion_probability IS NULL, "
        "score = rule_score FROM scores.lead_scores"
    ) == [("rules", True, True)]


def test_deal_outcomes_are_mapped_and_worth_no_points(platform):
    platform.write_signal_file(
        "crm.csv",
        HEADER
        + '1,2026-01-10T15:00:00Z,crm,Closed Won,ann@acme.io,,"{""amount"": 5000}"\n'
        + "2,2026-01-10T15:00:00Z,crm,Opportunity-Lost,bob@acme.io,,\n"
        + "3,2026-01-10T15:00:00Z,website,demo_request,bob@acme.io,,\n",
    )
    assert platform.ingest("crm.csv").success
    assert platform.query("SELECT event_type FROM clean.signals ORDER BY event_id") == [
        ("deal_won",), ("deal_lost",), ("demo_request",)
    ]  # fmt: skip
    score_day(platform, dt.date(2026, 1, 10))
    scores = dict(platform.query("SELECT email, behaviour_score FROM scores.lead_scores"))
    assert scores["ann@acme.io"] == 0.0 and scores["bob@acme.io"] > 29
    reasons = platform.query(
        "SELECT score_reasons::VARCHAR FROM scores.lead_scores WHERE email = 'bob@acme.io'"
    )[0][0]
    assert [r["feature"] for r in json.loads(reasons)] == ["demo_request"]


def test_the_weekly_schedule_trains_on_the_sunday_just_ended():
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 7, 6, 1, tzinfo=dt.UTC)
    )
    request = weekly_lead_score_model_schedule.evaluate_tick(context).run_requests[0]
    assert request.run_key == "2026-07-05"
    assert request.run_config["ops"]["lead_score_model"]["config"] == {"as_of_date": "2026-07-05"}


def test_the_demos_crm_history_trains_a_model_that_beats_the_rules(platform):
    """`make demo` lands a year of CRM history with deals (sample_outcomes.py) and trains on it:
    through the real ingest, the model is approved and its AUC printed beside the rules'."""
    as_of = dt.date(2026, 11, 30)
    history = generate_outcome_history(platform.landing, as_of, TIMEZONE)
    assert history.deals_won >= 300 and history.deals_lost > 0
    assert platform.ingest(history.file).success
    result = dg.materialize(
        [lead_score_model],
        resources=platform.resources,
        instance=platform.instance,
        run_config={"ops": {"lead_score_model": {"config": {"as_of_date": as_of.isoformat()}}}},
    )
    metadata = metadata_of(result, LEAD_SCORE_MODELS)
    print(metadata["decision"].value)
    assert metadata["approved"].value is True
    assert metadata["holdout_auc"].value > metadata["rule_holdout_auc"].value + 0.05
    assert all(c.passed for c in result.get_asset_check_evaluations())
