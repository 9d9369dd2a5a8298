"""The lead-score model: trained weekly (and on demand) on the outcomes in clean.signals, judged
against the rules on a later holdout, kept with its weights and evaluation whether used or not."""

import datetime as dt
import math
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

from batch_platform.defs.common.checks import KeyUniqueCheck, check_spec
from batch_platform.defs.common.metadata import table_metadata, table_spec
from batch_platform.defs.common.resources import WarehouseResource, warehouse_pool
from batch_platform.defs.reference.keys import EVENT_TYPES, FIT_TARGETS
from batch_platform.defs.signals.assets._common import (
    FIRMOGRAPHICS,
    LEAD_SCORE_MODEL_WEIGHTS,
    LEAD_SCORE_MODELS,
)
from batch_platform.defs.signals.assets.rollups import ALL_FILES
from batch_platform.defs.signals.assets.scores import LeadScoringSettings
from batch_platform.defs.signals.logic.lead_score_charts import (
    calibration_chart_png,
    lift_chart_png,
)
from batch_platform.defs.signals.logic.lead_score_features import FeatureSettings
from batch_platform.defs.signals.logic.lead_score_model import LeadScoreModel, save_model
from batch_platform.defs.signals.logic.lead_score_training import (
    ModelTrainingSettings,
    TrainingResult,
    train_lead_score_model,
)
from batch_platform.defs.signals.logic.signal_reference import signal_reference
from batch_platform.defs.signals.partitions import TIMEZONE
from batch_platform.lib.charts import markdown_image

THIS_MODEL = "model_version = $version"
MODELS_KEY_UNIQUE = KeyUniqueCheck(
    LEAD_SCORE_MODELS, "scores.lead_score_models", ("model_version",), "One row per model.",
    where=THIS_MODEL,
)  # fmt: skip
WEIGHTS_KEY_UNIQUE = KeyUniqueCheck(
    LEAD_SCORE_MODEL_WEIGHTS, "scores.lead_score_model_weights", ("model_version", "feature"),
    "One row per (model_version, feature).", where=THIS_MODEL,
)  # fmt: skip
GATES = {
    "enough_outcomes": "The model rests on enough won deals (min_positives in training, "
    "min_holdout_positives in the holdout); otherwise the rules stay.",
    "beats_rules": "The model's holdout AUC beats the rules' by auc_margin; otherwise the rules "
    "stay.",
}


class LeadScoreModelSettings(dg.Config):
    """What a conversion is, how history is split, and the gates a model must pass to be used."""

    as_of_date: str | None = Field(
        default=None,
        description="Train on the history up to the end of this day (YYYY-MM-DD); default: "
        "yesterday in America/New_York",
    )
    horizon_days: int = Field(
        default=90,
        description="A deal won this many days after a scoring date makes the contact a "
        "positive example for that date",
    )
    account_outcomes: bool = Field(
        default=True,
        description="A deal won by any contact of the account makes all its contacts positive",
    )
    interval_days: int = Field(
        default=7,
        description="Days between scoring dates; the contacts active in the interval before a "
        "date are its examples",
    )
    holdout_days: int = Field(default=28, description="The latest scoring dates evaluated on")
    train_days: int = Field(default=364, description="The span of scoring dates trained on")
    regularization: float = Field(default=1.0, description="Inverse L2 strength (C)")
    min_positives: int = Field(default=200, description="Won deals needed in training")
    min_holdout_positives: int = Field(default=30, description="Won deals needed in the holdout")
    auc_margin: float = Field(
        default=0.02, description="Holdout AUC by which the model must beat the rules"
    )
    lookback_days: int = Field(default=90, description="Events older than this are not features")
    half_life_days: float = Field(default=30.0, description="Half-life of decayed event counts")
    short_window_days: int = Field(default=7, description="The short recent window of counts")
    long_window_days: int = Field(
        default=30, description="The long recent window of counts (and of the buying committee)"
    )

    def training(self) -> ModelTrainingSettings:
        return ModelTrainingSettings(
            horizon_days=self.horizon_days,
            account_outcomes=self.account_outcomes,
            interval_days=self.interval_days,
            holdout_days=self.holdout_days,
            train_days=self.train_days,
            regularization=self.regularization,
            min_positives=self.min_positives,
            min_holdout_positives=self.min_holdout_positives,
            auc_margin=self.auc_margin,
            features=FeatureSettings(
                lookback_days=self.lookback_days,
                half_life_days=self.half_life_days,
                short_window_days=self.short_window_days,
                long_window_days=self.long_window_days,
            ),
        )

    def as_of(self, now: dt.datetime) -> dt.date:
        if self.as_of_date:
            return dt.date.fromisoformat(self.as_of_date)
        return now.astimezone(ZoneInfo(TIMEZONE)).date() - dt.timedelta(days=1)


def _weights_table(model: LeadScoreModel) -> dg.TableMetadataValue:
    """The features by the size of their coefficient, as a table in the UI."""
    order = sorted(range(len(model.features)), key=lambda i: -abs(model.coefficients[i]))
    return dg.MetadataValue.table(
        records=[
            dg.TableRecord(
                {
                    "feature": model.features[i],
                    "driver": model.drivers[i],
                    "coefficient": round(float(model.coefficients[i]), 4),
                    "odds_ratio_per_sd": round(math.exp(model.coefficients[i]), 3),
                }
            )
            for i in order
        ],
        schema=dg.TableSchema(
            columns=[
                dg.TableColumn("feature", "string"),
                dg.TableColumn("driver", "string"),
                dg.TableColumn("coefficient", "float", description="log-odds per SD"),
                dg.TableColumn("odds_ratio_per_sd", "float"),
            ]
        ),
    )


def _model_metadata(result: TrainingResult) -> dict:
    model = result.model
    shown = {k: v for k, v in model.metrics.items() if k not in ("lift", "calibration")}
    metadata = {
        "model_version": model.model_version,
        "approved": model.approved,
        "decision": model.decision,
        "trained_as_of": model.trained_as_of.isoformat(),
    } | {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in shown.items()}
    if model.fitted:
        driver_weights = sorted(model.driver_weights().items(), key=lambda kv: -kv[1])
        metadata |= {
            "weights": _weights_table(model),
            "driver_weights": dg.MetadataValue.json(
                {driver: round(weight, 4) for driver, weight in driver_weights}
            ),
            "lift_chart": dg.MetadataValue.md(
                markdown_image(lift_chart_png(model.metrics["lift"]), "lift per decile")
            ),
            "calibration_plot": dg.MetadataValue.md(
                markdown_image(calibration_chart_png(model.metrics["calibration"]), "calibration")
            ),
        }
    return metadata


@dg.multi_asset(
    specs=[
        table_spec(
            LEAD_SCORE_MODELS,
            "Lead-score models, one row per training (key: model_version): training window, "
            "holdout AUC against the rules', top-decile lift, calibration, and whether it is "
            "used (approved) with the reason.",
            [ALL_FILES, FIRMOGRAPHICS, EVENT_TYPES, FIT_TARGETS],
            "scores",
        ),
        table_spec(
            LEAD_SCORE_MODEL_WEIGHTS,
            "The features of each lead-score model with their coefficients (log-odds per "
            "standard deviation), training mean and scale (key: model_version, feature).",
            [LEAD_SCORE_MODELS],
            "scores",
        ),
    ],
    group_name="signals",
    pool=warehouse_pool("signals"),
    check_specs=[
        MODELS_KEY_UNIQUE.spec(),
        WEIGHTS_KEY_UNIQUE.spec(),
        *(check_spec(LEAD_SCORE_MODELS, name, text) for name, text in GATES.items()),
    ],
)
def lead_score_model(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, config: LeadScoreModelSettings
):
    """Train a lead-score model (logistic regression) on the history in clean.signals.

    Examples: per weekly scoring date, the contacts active in the week before it; label: a deal
    won within horizon_days after it. Features (events before the date only, outcomes never):
    per event type the decayed count and the counts in the last 7 and 30 days, fit from
    firmographics, the account's engaged contacts. Trained on older dates, evaluated on the
    latest whose outcomes are known, against the rules' score. Approved (then used by lead
    scores from trained_as_of on) when it rests on enough outcomes and beats the rules by the
    margin.
    """
    now = dt.datetime.now(dt.UTC)
    as_of = config.as_of(now)
    reference = signal_reference()
    rules = LeadScoringSettings().scoring(reference)
    with duckdb.get_connection() as con:
        result = train_lead_score_model(
            con, as_of, rules, config.training(), TIMEZONE, now.replace(tzinfo=None)
        )
        model = result.model
        save_model(con, model)
        context.log.info(f"model {model.model_version}: {model.decision}")
        version = {"version": model.model_version}
        yield dg.MaterializeResult(
            asset_key=LEAD_SCORE_MODELS,
            metadata=table_metadata(con, "scores.lead_score_models", THIS_MODEL, version)
            | _model_metadata(result)
            | {"reference_versions": reference.versions()},
        )
        yield dg.MaterializeResult(
            asset_key=LEAD_SCORE_MODEL_WEIGHTS,
            metadata=table_metadata(con, "scores.lead_score_model_weights", THIS_MODEL, version),
        )
        yield MODELS_KEY_UNIQUE.evaluate(con, version)
        yield WEIGHTS_KEY_UNIQUE.evaluate(con, version)
        for name, gate in result.gates.items():
            yield dg.AssetCheckResult(
                asset_key=LEAD_SCORE_MODELS,
                check_name=name,
                passed=gate.passed,
                severity=dg.AssetCheckSeverity.WARN,
                description=gate.description,
                metadata={"model_version": model.model_version, "approved": model.approved},
            )
