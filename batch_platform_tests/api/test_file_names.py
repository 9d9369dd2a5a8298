"""Landing names of uploaded signal files."""

import pytest

from batch_platform.api.file_names import FileNameError, landing_name


@pytest.mark.parametrize(
    ("original", "stored"),
    [
        ("events.csv", "events.csv"),
        ("events, week 1.csv", "events, week 1.csv"),
        ("../../etc/passwd", "_.._etc_passwd"),
        ("/abs/path.csv", "_abs_path.csv"),
        ("..\\windows.csv", "_windows.csv"),
        (".env", "env"),
        ("  .hidden.csv", "hidden.csv"),
        ("a\x00b\nc.csv", "a_b_c.csv"),
        ("e\u0301vents.csv", "\u00e9vents.csv"),  # NFC
        ("x.csv.done.csv", "x.csv.done.csv"),
    ],
)
def test_names_are_made_safe(original, stored):
    assert landing_name(original) == stored


@pytest.mark.parametrize(
    "original",
    ["", "..", "...", "/", "//", " ", "x.done", "x.csv.part", "x.TMP", "x.crdownload", "é" * 101],
)
def test_names_that_cannot_land_are_refused(original):
    with pytest.raises(FileNameError):
        landing_name(original)
