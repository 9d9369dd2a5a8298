"""The reference file: the shipped defaults, a project file extending and overriding them, and
an error per bad entry naming the file, the entry and the rule. No Dagster."""

from __future__ import annotations

import json

import pytest

from batch_platform.defs.portfolio.logic.office_reference import office_reference
from batch_platform.defs.reference.logic.reference_sets import (
    SCHEMA_FILE,
    effective_reference,
    json_schema_text,
    reference_sets,
)
from batch_platform.defs.signals.logic.signal_reference import signal_reference
from batch_platform.lib.reference_data import REFERENCE_FILE_ENV, ReferenceDataError

PROJECT_FILE = """
signals:
  unknown_event_types: quarantine
  event_types:
    call_completed: {weight: 12}
    page_view: {weight: 2}
  event_type_spellings:
    LinkedIn Message: form_submit
    Phone call: call_completed
  sources: [hubspot, salesforce]
  free_mail_domains: {add: [fastmail.com], remove: [mail.com]}
  target_industries: {replace: [Manufacturing, logistics]}
portfolio:
  jurisdictions:
    RU: {status_vocabulary: ru}
    XK: {name: Kosovo, date_formats: ["%d.%m.%Y"]}
  office_status_spellings:
    ru:
      Действует: registered
      Прекратил действие: expired
    en:
      Registered (renewed): registered
"""


def write(tmp_path, text: str) -> dict[str, str]:
    path = tmp_path / "reference.yaml"
    path.write_text(text, encoding="utf-8")
    return {REFERENCE_FILE_ENV: str(path)}


def test_the_shipped_defaults_are_valid_and_the_schema_file_is_current():
    reference = effective_reference({})
    assert reference.signals.unknown_event_types == "keep"
    assert reference.signals.weights["demo_request"] == 30
    assert reference.signals.spellings["pageview"] == "page_view"
    assert reference.signals.spellings["page_view"] == "page_view"
    assert set(reference_sets(reference)) == {
        "event_types", "event_type_spellings", "signal_sources", "free_mail_domains",
        "fit_targets", "jurisdictions", "office_status_spellings",
    }  # fmt: skip
    assert SCHEMA_FILE.read_text(encoding="utf-8") == json_schema_text(), (
        "regenerate it: python -m batch_platform.defs.reference.logic.reference_sets"
    )
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert set(schema["properties"]) == {"signals", "portfolio"}
    assert schema["additionalProperties"] is False


def test_a_project_file_extends_and_overrides_the_defaults(tmp_path):
    env = write(tmp_path, PROJECT_FILE)

    signals = signal_reference(env)
    offices = office_reference(env)

    assert signals.unknown_event_types == "quarantine" and signals.unknown_sources == "keep"
    assert signals.weights["call_completed"] == 12 and signals.weights["page_view"] == 2
    assert signals.weights["demo_request"] == 30
    assert signals.spellings["linkedin_message"] == "form_submit"
    assert signals.spellings["phone_call"] == "call_completed"
    assert signals.spellings["call_completed"] == "call_completed"
    assert signals.sources == ("website", "product", "email", "crm", "hubspot", "salesforce")
    assert "fastmail.com" in signals.free_mail_domains
    assert "mail.com" not in signals.free_mail_domains
    assert "gmail.com" in signals.free_mail_domains
    assert signals.target_industries == ("manufacturing", "logistics")
    assert signals.target_countries == ("US", "GB", "CA", "DE")
    russia = offices.jurisdiction("RU")
    assert russia.vocabulary == "ru" and russia.date_formats == ("%d.%m.%Y",)
    assert russia.name == "Russian Federation"
    assert offices.jurisdiction("XK").name == "Kosovo"
    assert offices.status_lookup["ru"]["прекратил действие"] == "expired"
    assert offices.status_lookup["en"]["registered (renewed)"] == "registered"
    assert offices.status_lookup["en"]["lapsed"] == "expired"
    defaults = effective_reference({})
    changed = {
        name
        for name, reference_set in reference_sets(effective_reference(env)).items()
        if reference_set.version != reference_sets(defaults)[name].version
    }
    assert changed == {
        "event_types", "event_type_spellings", "signal_sources", "free_mail_domains",
        "fit_targets", "jurisdictions", "office_status_spellings",
    }  # fmt: skip


def test_only_the_sets_a_change_touches_get_a_new_version(tmp_path):
    defaults = reference_sets(effective_reference({}))
    env = write(tmp_path, "signals:\n  event_type_spellings:\n    call: meeting_booked\n")
    changed = reference_sets(effective_reference(env))
    assert {n for n in defaults if defaults[n].version != changed[n].version} == {
        "event_type_spellings"
    }


def test_a_change_to_the_file_is_read_again(tmp_path):
    env = write(tmp_path, "signals:\n  sources: [hubspot]\n")
    assert "hubspot" in signal_reference(env).sources
    path = tmp_path / "reference.yaml"
    path.write_text("signals:\n  sources: [pipedrive, zendesk]\n", encoding="utf-8")
    assert signal_reference(env).sources[-2:] == ("pipedrive", "zendesk")


@pytest.mark.parametrize(
    ("text", "entry", "rule"),
    [
        (
            "signals:\n  event_type_spellings:\n    LinkedIn Message: form_sbumit\n",
            'signals.event_type_spellings["LinkedIn Message"]',
            "'form_sbumit' is not a canonical event type (add it under signals.event_types",
        ),
        (
            "signals:\n  event_types:\n    Phone Call: {weight: 3}\n",
            'signals.event_types["Phone Call"]',
            "the key 'Phone Call' is not a canonical name: lower-case letters, digits and _",
        ),
        (
            "signals:\n  event_types:\n    call: {weight: 5000}\n",
            "signals.event_types.call.weight",
            "Input should be less than or equal to 1000",
        ),
        (
            "signals:\n  event_types:\n    unmapped: {weight: 1}\n",
            "signals.event_types.unmapped",
            "'unmapped' is the type of rows whose event type is in no list",
        ),
        (
            "signals:\n  unknown_event_types: drop\n",
            "signals.unknown_event_types",
            "Input should be 'keep' or 'quarantine'",
        ),
        (
            "signals:\n  target_countries: [fr]\n",
            "signals.target_countries.add[0]",
            "'fr' is not an ISO 3166 alpha-2 country code in capitals (e.g. FR)",
        ),
        (
            "signals:\n  free_mail_domains: {remove: [gmail.comm]}\n",
            "signals.free_mail_domains.remove[0]",
            "'gmail.comm' is not in the shipped list, so it cannot be removed",
        ),
        (
            "signals:\n  sorces: [hubspot]\n",
            "signals.sorces",
            "not a known field here",
        ),
        (
            "signal:\n  sources: [hubspot]\n",
            "signal",
            "not a known field here",
        ),
        (
            "portfolio:\n  jurisdictions:\n    RU: {date_formats: ['%d.%m']}\n",
            "portfolio.jurisdictions.RU.date_formats[0]",
            "'%d.%m' needs one year (%Y or %y), one month (%m or %b) and one day (%d)",
        ),
        (
            "portfolio:\n  jurisdictions:\n    RU: {status_vocabulary: ru}\n",
            "portfolio.jurisdictions.RU.status_vocabulary",
            "'ru' is not a status vocabulary (define it under portfolio.office_status_spellings",
        ),
        (
            "portfolio:\n  jurisdictions:\n    XK: {date_formats: ['%d.%m.%Y']}\n",
            "portfolio.jurisdictions.XK.name",
            "XK is a new office: give its name",
        ),
        (
            "portfolio:\n  jurisdictions:\n    Russia: {name: Russia}\n",
            "portfolio.jurisdictions.Russia",
            "the key 'Russia' is not a two-letter office code of WIPO ST.3 in capitals",
        ),
        (
            "portfolio:\n  office_status_spellings:\n    ru: {Действует: active}\n",
            'portfolio.office_status_spellings.ru["Действует"]',
            "Input should be 'pending', 'registered', 'opposed', 'expired', 'cancelled', "
            "'abandoned' or 'refused'",
        ),
        (
            "signals: [not, a, mapping]\n",
            "signals",
            "Input should be a valid dictionary or instance of SignalsSection",
        ),
        ("signals:\n  sources: [a\n", "line 3, column 1", "not valid YAML"),
    ],
)
def test_a_bad_entry_is_named_with_its_file_and_rule(tmp_path, text, entry, rule):
    env = write(tmp_path, text)
    with pytest.raises(ReferenceDataError) as raised:
        effective_reference(env)
    message = str(raised.value)
    assert message.startswith(f"reference data in {tmp_path / 'reference.yaml'}")
    assert f": {entry}: {rule}" in message, message


def test_every_bad_entry_is_reported_at_once(tmp_path):
    env = write(
        tmp_path,
        "signals:\n  event_type_spellings:\n    a: nope\n    b: nada\n"
        "  sources: {replace: [x], add: [y]}\n",
    )
    with pytest.raises(ReferenceDataError) as raised:
        signal_reference(env)
    assert [p.entry for p in raised.value.problems] == [
        "signals.event_type_spellings.a",
        "signals.event_type_spellings.b",
        "signals.sources",
    ]


def test_a_missing_file_is_named(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(ReferenceDataError) as raised:
        effective_reference({REFERENCE_FILE_ENV: str(missing)})
    assert str(raised.value) == (
        f"reference data in {missing} ($BATCH_PLATFORM_REFERENCE): (file): cannot read: "
        "No such file or directory"
    )
