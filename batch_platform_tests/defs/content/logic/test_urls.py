"""URL lists: every line is an item or a rejection with its reason."""

import pytest

from batch_platform.defs.content.logic.urls import UrlListError, normalise_url, parse_url_list


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://example.com:443/a?b=1#frag", "https://example.com/a?b=1"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("  https://example.com/path  ", "https://example.com/path"),
        ("http://[::1]:8000/", "http://[::1]:8000/"),
    ],
)
def test_normalise(value, expected):
    assert normalise_url(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("example.com/page", "scheme '(none)' is not http or https"),
        ("ftp://example.com/", "scheme 'ftp' is not http or https"),
        ("javascript:alert(1)", "scheme 'javascript' is not http or https"),
        ("http://", "URL has no host"),
        ("http://user:pw@example.com/", "URL carries credentials"),
        ("http://example.com/a b", "URL contains whitespace"),
        ("http://example.com:99999/", "unparseable URL (Port out of range 0-65535)"),
        ("http://example.com/" + "a" * 3000, "URL longer than 2048 characters"),
    ],
)
def test_invalid(value, reason):
    with pytest.raises(ValueError) as error:
        normalise_url(value)
    assert str(error.value) == reason


def test_txt_list_reports_invalid_and_duplicate_lines(tmp_path):
    path = tmp_path / "list.txt"
    path.write_text(
        "\ufeffhttps://a.example/1\n\n# comment\nhttps://A.example/1#x\nnope\r\nhttps://b.example/\n"
    )
    listed = parse_url_list(path)
    assert [(i.line, i.url) for i in listed.items] == [
        (1, "https://a.example/1"),
        (6, "https://b.example/"),
    ]
    assert [(r.line, r.value, r.reason) for r in listed.rejected] == [
        (4, "https://A.example/1#x", "duplicate of line 1"),
        (5, "nope", "invalid URL: scheme '(none)' is not http or https"),
    ]
    assert len(listed.invalid) == 1 and len(listed.duplicates) == 1


def test_csv_list_keeps_metadata_columns(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(' URL ,Team,"note, with comma"\nhttps://a.example/,search,"x, y"\n,,\n')
    listed = parse_url_list(path)
    assert [(i.line, i.url, i.metadata) for i in listed.items] == [
        (2, "https://a.example/", {"team": "search", "note, with comma": "x, y"})
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("list.json", b"[]", "list.json: unsupported file type (expected .txt or .csv)"),
        ("list.txt", b"\x00\x01\x02", "list.txt: binary content, not a URL list"),
        ("list.txt", b"\xff\xfehttp", "list.txt: not UTF-8 (invalid start byte at byte 0)"),
        ("list.txt", b"\n# only a comment\n", "list.txt: no URLs in the file"),
        ("list.csv", b"link,team\nhttp://a/,x\n", "list.csv: CSV header has no 'url' column"),
        ("list.csv", b"", "list.csv: empty CSV"),
    ],
)
def test_unusable_files(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UrlListError) as error:
        parse_url_list(path)
    assert str(error.value).startswith(message)
