"""`batch-platform search` and `batch-platform batch export` on a real lake and index."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from batch_platform.cli import main
from batch_platform_tests.defs.content.search_lake import NEAR, make_search_lake

BATCH = "docs.txt-1"


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    path = tmp_path_factory.mktemp("search_cli") / "warehouse"
    make_search_lake(path, BATCH)
    return path


@pytest.fixture
def warehouse(lake, monkeypatch):
    monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(lake))
    for name in ("DUCKLAKE_CATALOG", "DUCKLAKE_DATA_PATH", "EMBEDDINGS_URL"):
        monkeypatch.delenv(f"BATCH_PLATFORM_{name}", raising=False)
    return lake


def test_search_prints_pages_with_url_title_and_score(warehouse, capsys):
    assert main(["search", "how do I decode json", "--k", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("3 pages for 'how do I decode json' (hybrid; every batch; index of")
    assert out[1].endswith("JSON encoding and decoding") and out[1].startswith("  1. 0.")
    assert out[2].strip() == "https://docs.example/json"
    assert out[3].strip().startswith(f"[{BATCH} #")
    assert NEAR not in "\n".join(out)  # collapsed into the page it repeats


@pytest.mark.parametrize("mode", ["bm25", "vector", "hybrid"])
def test_each_mode_as_json(warehouse, capsys, mode):
    assert main(["search", "socket connect to a host", "--mode", mode, "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    results = document["results"]
    assert document["mode"] == mode and results[0]["page_url"] == "https://docs.example/sockets"
    assert results[0]["title"] == "Low-level networking" and results[0]["score"] > 0
    assert len({r["page_url"] for r in results}) == len(results)


def test_search_of_another_batch_finds_nothing_and_a_missing_index_is_an_error(
    warehouse, tmp_path, capsys
):
    assert main(["search", "json", "--batch", "other"]) == 0
    assert capsys.readouterr().out.startswith("0 pages for 'json' (hybrid; batch other;")
    assert main(["search", "json", "--warehouse", str(tmp_path / "none")]) == 2
    assert "no search index at" in capsys.readouterr().err


def test_export_parquet_and_jsonl(warehouse, tmp_path, capsys):
    target = tmp_path / "out" / "chunks.parquet"
    assert main(["batch", "export", BATCH, "--output", str(target)]) == 0
    assert (
        capsys.readouterr().out.strip() == f"batch {BATCH}: 7 chunks with their vectors → {target}"
    )
    table = pq.read_table(target)
    assert table.num_rows == 7
    row = table.slice(0, 1).to_pylist()[0]
    assert (
        row["url"] == "https://docs.example/json" and row["title"] == "JSON encoding and decoding"
    )
    assert row["id"] == f"{BATCH}:https://docs.example/json#0" and row["chunk_index"] == 0
    assert len(row["embedding"]) == row["dimensions"] == 256
    assert row["model"].startswith("wordllama-") and json.loads(row["metadata"]) == {"team": "docs"}

    lines_file = tmp_path / "chunks.jsonl"
    assert main(["batch", "export", BATCH, "--format", "jsonl", "--output", str(lines_file)]) == 0
    lines = [json.loads(line) for line in lines_file.read_text().splitlines()]
    assert len(lines) == 7 and lines[0]["text"] == row["text"]
    assert lines[0]["embedding"] == pytest.approx(row["embedding"], abs=1e-6)
    assert [p.name for p in lines_file.parent.iterdir() if p.name.endswith(".part")] == []


def test_export_of_an_unknown_batch_writes_nothing(warehouse, tmp_path, capsys):
    target = tmp_path / "nothing.parquet"
    assert main(["batch", "export", "unknown", "--output", str(target)]) == 2
    assert "has no chunks" in capsys.readouterr().err and not target.exists()
