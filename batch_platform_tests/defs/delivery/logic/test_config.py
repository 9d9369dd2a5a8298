"""Destination config: defaults, environment, and errors that name the file and the field."""

import pytest

from batch_platform.defs.delivery.logic.config import (
    DeliveryConfigError,
    load_delivery_config,
)


def write(tmp_path, text):
    path = tmp_path / "destinations.yaml"
    path.write_text(text)
    return {"BATCH_PLATFORM_DESTINATIONS": str(path)}


def test_no_configuration_means_the_outbox():
    config = load_delivery_config({})
    assert [(d.name, d.kind) for d in config.targets] == [("outbox", "outbox")]
    assert config.sync.score_threshold == 5 and config.webhooks == []


def test_yaml_file_and_environment_together(tmp_path):
    env = write(
        tmp_path,
        "destinations:\n"
        "  - name: crm\n    url: https://crm.example.com/api\n    auth_env: CRM_TOKEN\n"
        "    page_size: 250\n    rate_limit_per_second: 5\n"
        "webhooks:\n  - url: http://127.0.0.1:9/hook\n"
        "sync:\n  score_threshold: 7.5\n  dead_letter_after_runs: 4\n",
    )
    env |= {
        "BATCH_PLATFORM_DESTINATION_URL": "http://127.0.0.1:9/map",
        "BATCH_PLATFORM_WEBHOOK_URLS": "http://127.0.0.1:9/a, http://127.0.0.1:9/b",
    }
    config = load_delivery_config(env)
    assert [(d.name, d.url, d.page_size) for d in config.targets] == [
        ("crm", "https://crm.example.com/api", 250),
        ("default", "http://127.0.0.1:9/map", 500),
    ]
    assert config.destinations[0].auth_env == "CRM_TOKEN"
    assert [w.url for w in config.webhooks] == [
        "http://127.0.0.1:9/hook", "http://127.0.0.1:9/a", "http://127.0.0.1:9/b"
    ]  # fmt: skip
    assert (config.sync.score_threshold, config.sync.dead_letter_after_runs) == (7.5, 4)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("destinations:\n  - name: crm\n    url: https://x.io\n    page_size: 0\n",
         r"destinations\[0\]\.page_size: Input should be greater than 0"),
        ("destinations:\n  - name: crm\n", r"destinations\[0\]: Value error, url is required"),
        ("destinations:\n  - name: crm\n    url: ftp://x.io\n",
         r"destinations\[0\]: Value error, url must be an http\(s\) URL"),
        ("destinations:\n  - name: CRM!\n    url: https://x.io\n",
         r"destinations\[0\]\.name: Value error, must be lower-case"),
        ("destinations:\n  - name: crm\n    url: https://x.io\n    pagesize: 5\n",
         r"destinations\[0\]\.pagesize: Extra inputs are not permitted"),
        ("destinations:\n  - {name: a, url: 'https://x.io'}\n  - {name: a, url: 'https://y.io'}\n",
         "destination names must be unique: a repeated"),
        ("webhooks:\n  - url: not-a-url\n", r"webhooks\[0\]\.url: Value error"),
        ("sync:\n  score_threshold: -1\n", r"sync\.score_threshold: Input should be greater"),
        ("destinations: [\n", "is not valid YAML"),
        ("- just a list\n", "expected a mapping"),
    ],
)  # fmt: skip
def test_malformed_config_names_file_and_field(tmp_path, text, message):
    env = write(tmp_path, text)
    with pytest.raises(DeliveryConfigError, match=message) as error:
        load_delivery_config(env)
    assert "destinations.yaml" in str(error.value)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(DeliveryConfigError, match=r"cannot read .*nope\.yaml"):
        load_delivery_config({"BATCH_PLATFORM_DESTINATIONS": str(tmp_path / "nope.yaml")})


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://user:s3cr3t-catalog@db:5432/lake\n: x\n",  # not YAML: a catalog string
        "API_KEY=s3cr3t-catalog: [unclosed\n",
    ],
)
def test_a_file_that_is_not_yaml_is_never_echoed(tmp_path, text):
    env = write(tmp_path, text)
    with pytest.raises(DeliveryConfigError, match=r"is not valid YAML at line \d+") as error:
        load_delivery_config(env)
    assert "s3cr3t" not in str(error.value)


def test_a_binary_file_is_named_not_shown(tmp_path):
    path = tmp_path / "destinations.yaml"
    path.write_bytes(b"\x89s3cr3t\xff")
    with pytest.raises(DeliveryConfigError, match="is not UTF-8 text") as error:
        load_delivery_config({"BATCH_PLATFORM_DESTINATIONS": str(path)})
    assert "s3cr3t" not in str(error.value)


def test_portfolio_destinations_from_the_file_and_the_environment(tmp_path):
    assert load_delivery_config({}).portfolio_destinations == []
    env = write(
        tmp_path,
        "portfolio_destinations:\n"
        "  - name: firm-pms\n    url: https://pms.example.com/records\n"
        "    signing_secret_env: PMS_SIGNING_SECRET\n    page_size: 50\n",
    )
    env |= {
        "BATCH_PLATFORM_PORTFOLIO_DESTINATION_URL": "http://127.0.0.1:9/portfolio",
        "BATCH_PLATFORM_PORTFOLIO_DESTINATION_AUTH": "Bearer t",
        "BATCH_PLATFORM_PORTFOLIO_DESTINATION_SIGNING_SECRET": "s",
    }
    config = load_delivery_config(env)
    assert [(d.name, d.url, d.page_size) for d in config.portfolio_destinations] == [
        ("firm-pms", "https://pms.example.com/records", 50),
        ("portfolio", "http://127.0.0.1:9/portfolio", 500),
    ]
    from_env = config.portfolio_destinations[1]
    assert from_env.auth_env == "BATCH_PLATFORM_PORTFOLIO_DESTINATION_AUTH"
    assert from_env.signing_secret_env == "BATCH_PLATFORM_PORTFOLIO_DESTINATION_SIGNING_SECRET"
    # Scores still go to the outbox: the portfolio destinations are not score destinations.
    assert [d.name for d in config.targets] == ["outbox"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "destinations:\n  - {name: crm, url: 'https://a.example/x'}\n"
            "portfolio_destinations:\n  - {name: crm, url: 'https://b.example/y'}\n",
            "destination names must be unique: crm repeated",
        ),
        (
            "portfolio_destinations:\n  - {name: pms, kind: outbox}\n",
            "portfolio_destinations must be http destinations",
        ),
    ],
)
def test_portfolio_destinations_errors(tmp_path, text, message):
    with pytest.raises(DeliveryConfigError, match=message):
        load_delivery_config(write(tmp_path, text))
