"""The lead-score model without Dagster: the split, features, labels, training on a simulated
world with known conversion probabilities, the gates, explanations, lift and calibration."""

import datetime as dt
import json

import numpy as np
import pytest

from batch_platform.defs.signals.logic.lead_score_evaluation import (
    auc,
    calibration_bins,
    calibration_error,
    decile_lift,
)
from batch_platform.defs.signals.logic.lead_score_features import (
    FeatureSettings,
    ScoringDate,
    day_end,
    example_columns,
    example_labels,
    feature_matrix,
    stage_training_examples,
)
from batch_platform.defs.signals.logic.lead_score_model import LeadScoreModel
from batch_platform.defs.signals.logic.lead_score_training import (
    ModelTrainingSettings,
    train_lead_score_model,
    training_dates,
)
from batch_platform.defs.signals.logic.scoring import LeadScoringConfig, stage_fit_targets
from batch_platform.defs.signals.logic.signal_reference import signal_reference
from batch_platform.lib.warehouse import connect
from batch_platform_tests.defs.signals.lead_score_world import (
    TIMEZONE,
    TRUE_EVENT_WEIGHTS,
    clean_signal_rows,
    cohorts_for_training,
    insert_events,
    load_world,
    simulate_world,
)

AS_OF = dt.date(2026, 6, 28)
NOW = dt.datetime(2026, 6, 29, 6)
CONTACT_OUTCOMES = ModelTrainingSettings(account_outcomes=False)


@pytest.fixture
def con():
    connection = connect(":memory:")
    yield connection
    connection.close()


def shipped_rules() -> LeadScoringConfig:
    reference = signal_reference()
    return LeadScoringConfig(
        weights=dict(reference.weights),
        half_life_days=30.0,
        lookback_days=90,
        mql_threshold=50.0,
        fit_industries=list(reference.target_industries),
        fit_countries=list(reference.target_countries),
    )


def train(con, settings=CONTACT_OUTCOMES):
    return train_lead_score_model(con, AS_OF, shipped_rules(), settings, TIMEZONE, NOW)


def hand_made(con, events):
    """events: (event_type, email, occurred_at, properties)."""
    columns = {k: [] for k in ("event_type", "source", "email", "account_domain", "occurred_at",
                               "properties")}  # fmt: skip
    for event_type, email, at, properties in events:
        columns["event_type"].append(event_type)
        columns["source"].append("crm")
        columns["email"].append(email)
        columns["account_domain"].append(email.split("@")[1])
        columns["occurred_at"].append(at)
        columns["properties"].append(properties)
    insert_events(con, clean_signal_rows(columns))


def test_the_split_never_looks_ahead():
    dates = training_dates(AS_OF, ModelTrainingSettings(), TIMEZONE)
    train_days = [d.day for d in dates if not d.is_holdout]
    holdout = [d.day for d in dates if d.is_holdout]
    assert holdout[-1] == AS_OF - dt.timedelta(days=90)  # the latest date whose outcomes are known
    assert len(holdout) == 4 and holdout == sorted(holdout)
    # Every training label was known on the first holdout date.
    assert train_days[-1] + dt.timedelta(days=90) <= holdout[0]
    assert train_days[-1] - train_days[0] == dt.timedelta(days=364)
    assert [d.day for d in dates] == sorted(d.day for d in dates)
    # A day ends at midnight New York time (05:00 UTC in winter, 04:00 in summer).
    assert day_end(dt.date(2026, 1, 10), TIMEZONE) == dt.datetime(2026, 1, 11, 5)
    assert day_end(dt.date(2026, 6, 10), TIMEZONE) == dt.datetime(2026, 6, 11, 4)


def test_features_see_only_events_before_the_date_and_never_outcomes(con):
    day = dt.date(2026, 3, 1)
    end = day_end(day, TIMEZONE)
    hand_made(
        con,
        [
            ("demo_request", "ann@acme.io", end - dt.timedelta(days=30), None),  # decays to 0.5
            ("demo_request", "ann@acme.io", end - dt.timedelta(days=2), None),
            ("demo_request", "ann@acme.io", end + dt.timedelta(hours=1), None),  # after the date
            ("deal_won", "ann@acme.io", end - dt.timedelta(days=1), None),  # an outcome
            ("page_view", "bob@acme.io", end - dt.timedelta(days=3), None),
        ],
    )
    stage_training_examples(con, [ScoringDate(day, end, False)], 7, account_outcomes=False)
    stage_fit_targets(con, ["software"], ["US"])
    # ann won before the date: a customer, not a lead; bob is the one example.
    assert example_columns(con, "email")["email"].tolist() == ["bob@acme.io"]
    con.execute("DELETE FROM clean.signals WHERE event_type = 'deal_won'")
    stage_training_examples(con, [ScoringDate(day, end, False)], 7, account_outcomes=False)
    assert example_columns(con, "email")["email"].tolist() == ["ann@acme.io", "bob@acme.io"]
    matrix = feature_matrix(con, ["demo_request", "page_view"], FeatureSettings())
    assert not any(name.startswith("deal_") for name in matrix.names)
    ann = dict(zip(matrix.names, matrix.values[0], strict=True))
    assert ann["demo_request_decayed"] == pytest.approx(np.log1p(0.5 + 0.5 ** (2 / 30)))
    assert ann["demo_request_last_7d"] == pytest.approx(np.log1p(1))
    assert ann["demo_request_last_30d"] == pytest.approx(np.log1p(2))
    assert ann["page_view_decayed"] == 0
    # Two contacts of acme.io were active in the 30 days before the date.
    assert ann["buying_committee"] == pytest.approx(np.log1p(2))


@pytest.mark.parametrize(("account_outcomes", "expected"), [(False, [True, False]),
                                                             (True, [True, True])])  # fmt: skip
def test_a_won_deal_in_the_horizon_labels_the_contact_or_its_account(
    con, account_outcomes, expected
):
    day = dt.date(2026, 3, 1)
    end = day_end(day, TIMEZONE)
    hand_made(
        con,
        [
            ("page_view", "ann@acme.io", end - dt.timedelta(days=1), None),
            ("page_view", "bob@acme.io", end - dt.timedelta(days=1), None),
            ("deal_won", "ann@acme.io", end + dt.timedelta(days=60), '{"amount": 1200.5}'),
            ("deal_lost", "bob@acme.io", end + dt.timedelta(days=10), None),
            ("deal_won", "bob@acme.io", end + dt.timedelta(days=95), None),  # after the horizon
        ],
    )
    stage_training_examples(con, [ScoringDate(day, end, False)], 7, account_outcomes)
    labels = example_labels(con, 90, account_outcomes)
    assert labels.converted.tolist() == expected
    assert labels.won_amount.tolist() == [1200.5, 1200.5 if account_outcomes else 0.0]
    assert labels.lost.tolist() == [account_outcomes, True]


def test_the_model_learns_the_true_function_of_a_simulated_world(con):
    cohorts = cohorts_for_training(
        AS_OF, CONTACT_OUTCOMES, train_weeks=10, per_train_week=300, per_holdout_week=400
    )
    world = simulate_world(cohorts, seed=1)
    load_world(con, world)
    result = train(con)
    model = result.model
    holdout_emails = con.execute(
        "SELECT email FROM model_examples WHERE is_holdout ORDER BY example_id"
    ).fetchnumpy()["email"]
    true_probabilities = np.array([world.true_probability[e] for e in holdout_emails])
    oracle_auc = auc(result.holdout_labels, true_probabilities)
    figures = {
        "oracle": round(oracle_auc, 4),
        "model": model.metrics["holdout_auc"],
        "rules": model.metrics["rule_holdout_auc"],
    }
    assert abs(model.metrics["holdout_auc"] - oracle_auc) <= 0.02, figures
    assert model.metrics["rule_holdout_auc"] < model.metrics["holdout_auc"] - 0.02, figures
    learned = model.driver_weights()
    true_order = sorted(TRUE_EVENT_WEIGHTS, key=TRUE_EVENT_WEIGHTS.get, reverse=True)
    assert sorted(TRUE_EVENT_WEIGHTS, key=learned.get, reverse=True) == true_order, learned
    assert model.approved, model.decision
    assert result.gates["enough_outcomes"].passed and result.gates["beats_rules"].passed
    assert model.decision.startswith("approved: holdout AUC")
    assert model.metrics["top_decile_lift"] > model.metrics["rule_top_decile_lift"] > 1
    assert model.metrics["calibration_error"] < 0.05
    assert not any(feature.startswith("deal_") for feature in model.features)
    assert model.metrics["holdout_won_amount"] > 0 and model.metrics["holdout_deals_lost"] > 0


def test_too_few_outcomes_keeps_the_rules_and_says_why(con):
    cohorts = cohorts_for_training(
        AS_OF, CONTACT_OUTCOMES, train_weeks=4, per_train_week=60, per_holdout_week=100
    )
    load_world(con, simulate_world(cohorts, seed=3))
    result = train(con)
    model = result.model
    assert model.fitted and not model.approved
    gate = result.gates["enough_outcomes"]
    positives = model.metrics["train_positives"]
    assert 10 <= positives < 200
    assert not gate.passed
    assert f"too few outcomes: {positives} won in training (needs 200)" in gate.description
    assert gate.description.endswith("the rules stay")
    assert model.decision.startswith("rejected: too few outcomes")


def test_a_model_that_does_not_beat_the_rules_is_not_used(con):
    # Conversion follows the rules' own points: no model beats them by the margin.
    cohorts = cohorts_for_training(
        AS_OF, CONTACT_OUTCOMES, train_weeks=10, per_train_week=300, per_holdout_week=400
    )
    load_world(con, simulate_world(cohorts, seed=1, truth="rules"))
    result = train(con)
    model = result.model
    assert result.gates["enough_outcomes"].passed
    assert not result.gates["beats_rules"].passed
    assert model.metrics["holdout_auc"] < model.metrics["rule_holdout_auc"] + 0.02
    assert "does not beat the rules, which stay" in result.gates["beats_rules"].description
    assert not model.approved and model.decision.startswith("rejected: holdout AUC")


def test_without_outcomes_nothing_is_fitted(con):
    cohorts = cohorts_for_training(
        AS_OF, CONTACT_OUTCOMES, train_weeks=2, per_train_week=30, per_holdout_week=30
    )
    load_world(con, simulate_world(cohorts, seed=5))
    con.execute("DELETE FROM clean.signals WHERE event_type IN ('deal_won', 'deal_lost')")
    result = train(con)
    assert not result.model.fitted and not result.model.approved
    assert result.model.decision.startswith("not trained: 0 won deals among 60 training examples")
    assert result.model.decision.endswith("the rules stay")
    assert not result.gates["enough_outcomes"].passed
    assert not result.gates["beats_rules"].passed


def test_retraining_the_same_history_gives_the_same_version(con):
    cohorts = cohorts_for_training(
        AS_OF, CONTACT_OUTCOMES, train_weeks=4, per_train_week=60, per_holdout_week=60
    )
    load_world(con, simulate_world(cohorts, seed=4))
    assert train(con).model.model_version == train(con).model.model_version
    assert train(con).model.model_version.startswith("2026-06-28-")


def test_reasons_are_the_drivers_that_raised_the_log_odds_most():
    model = LeadScoreModel(
        model_version="m",
        trained_at=NOW,
        trained_as_of=AS_OF,
        approved=True,
        decision="",
        settings={},
        algorithm="logistic_regression",
        intercept=-1.0,
        features=["demo_decayed", "demo_last_7d", "webinar_decayed", "fit_employees", "unsub"],
        drivers=["demo_request", "demo_request", "webinar_attended", "fit_employees", "unsub"],
        coefficients=np.array([0.5, 0.5, 0.8, 0.2, -1.0]),
        means=np.zeros(5),
        scales=np.ones(5),
    )
    values = np.array([[1.0, 1.0, 0.5, 3.0, 0.0], [0.0, 0.0, 0.0, 0.0, 2.0]])
    reasons = [json.loads(r) for r in model.reasons(values)]
    assert reasons[0] == [
        {"contribution": 1.0, "feature": "demo_request"},
        {"contribution": 0.6, "feature": "fit_employees"},
        {"contribution": 0.4, "feature": "webinar_attended"},
    ]
    assert reasons[1] == []  # nothing raised it
    assert model.probabilities(values)[0] == pytest.approx(1 / (1 + np.exp(-(-1.0 + 2.0))))
    assert model.driver_weights() == pytest.approx(
        {"demo_request": 1.0, "webinar_attended": 0.8, "fit_employees": 0.2, "unsub": -1.0}
    )


def test_lift_and_calibration():
    labels = np.array([True] * 10 + [False] * 90)
    perfect = np.linspace(1, 0, 100)
    lift = decile_lift(labels, perfect)
    assert [d["positives"] for d in lift] == [10] + [0] * 9
    assert lift[0]["lift"] == 10.0 and lift[0]["rate"] == 1.0
    probabilities = np.where(labels, 0.9, 0.05)
    bins = calibration_bins(labels, probabilities)
    assert len(bins) == 10 and sum(b["examples"] for b in bins) == 100
    assert bins[-1] == {"bin": 10, "examples": 10, "mean_predicted": 0.9, "observed_rate": 1.0}
    assert calibration_error(bins) == pytest.approx((90 * 0.05 + 10 * 0.1) / 100)
