"""Results paged by cursor, from a real lake: every row once, in list order, one snapshot."""

import pytest

from batch_platform.api.results import (
    CursorError,
    Position,
    decode_cursor,
    encode_cursor,
    read_results,
)
from batch_platform.lib.warehouse import atomically, connect

PAGE = """
INSERT INTO content.pages VALUES ($batch, $url, NULL, $line, 'html', $title, 'en', $text,
    length($text), 'h' || $line, 0, 'unique', NULL, NULL, NULL, '{"topic": "news"}', now())
"""
CHUNK = "INSERT INTO content.chunks VALUES ($batch, $url, $chunk, 0, 10, $text, 'c')"


@pytest.fixture
def lake(tmp_path, monkeypatch):
    path = tmp_path / "warehouse"
    monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(path))
    for name in ("BATCH_PLATFORM_DUCKLAKE_CATALOG", "BATCH_PLATFORM_DUCKLAKE_DATA_PATH"):
        monkeypatch.delenv(name, raising=False)
    con = connect(path)

    def write():
        for batch, pages in (("b1", 7), ("b2", 2)):
            for n in range(pages):
                url = f"https://a.example/{n}"
                # Lines out of URL order, and with gaps (rejected lines have no page).
                line = 3 * (pages - n)
                con.execute(PAGE, {"batch": batch, "url": url, "line": line,
                                   "title": f"Page {n}", "text": f"text {n}"})  # fmt: skip
                for chunk in range(n % 3):
                    con.execute(CHUNK, {"batch": batch, "url": url, "chunk": chunk,
                                        "text": f"{n}.{chunk}"})  # fmt: skip

    atomically(con, write)
    con.close()
    return path


def pages_of(batch, kind, limit):
    seen, cursor, calls = [], None, 0
    while True:
        page = read_results(batch, kind, limit, cursor)
        calls += 1
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return seen, page, calls


def test_pages_come_once_each_in_list_order(lake):
    rows, last, calls = pages_of("b1", "pages", 3)
    assert [r["line_number"] for r in rows] == [3, 6, 9, 12, 15, 18, 21]
    assert [r["title"] for r in rows][:2] == ["Page 6", "Page 5"]
    assert calls == 3 and (last["total"], last["pages"], last["chunks"]) == (7, 7, 6)
    assert rows[0]["metadata"] == {"topic": "news"} and rows[0]["chunks"] == 0
    assert rows[1]["chunks"] == 2 and rows[0]["text"] == "text 6"
    exact, _, calls = pages_of("b1", "pages", 7)
    assert exact == rows and calls == 1


def test_chunks_come_in_list_then_chunk_order(lake):
    rows, last, _ = pages_of("b1", "chunks", 2)
    assert [r["text"] for r in rows] == ["5.0", "5.1", "4.0", "2.0", "2.1", "1.0"]
    assert last["total"] == 6


def test_an_unknown_batch_has_no_results(lake):
    page = read_results("nothing", "pages", 10, None)
    assert (page["items"], page["total"], page["next_cursor"]) == ([], 0, None)


def test_cursors_round_trip_and_refuse_tampering():
    cursor = encode_cursor("chunks", Position(12, 3))
    assert decode_cursor("chunks", cursor) == Position(12, 3)
    assert decode_cursor("pages", None) == Position()
    with pytest.raises(CursorError, match="not a cursor of pages"):
        decode_cursor("pages", cursor)
    for bad in ["x", "!!!", encode_cursor("pages", Position(1, 1))[:-3], "eyJrIjoicGFnZXMifQ"]:
        with pytest.raises(CursorError):
            decode_cursor("pages", bad)
