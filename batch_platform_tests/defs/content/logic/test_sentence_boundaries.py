"""Sentence boundaries: the array operations find exactly the spans of the plain definition (a
sentence ends at . ! ? before whitespace, optionally after one closing quote or bracket, or at
line breaks), written here with look-behinds as the reference."""

import random
import re
import sys

import pytest

from batch_platform.defs.content.logic.chunking import _LAST_SPACE, sentence_spans
from batch_platform.defs.content.logic.local_site import article_text

_REFERENCE = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+|\n+")


def reference_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in [*_REFERENCE.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        if piece.strip():
            left = start + len(piece) - len(piece.lstrip())
            spans.append((left, left + len(piece.strip())))
        if match:
            start = match.end()
    return spans


@pytest.mark.parametrize(
    "text",
    [
        'He said "Stop." Then left! Why? Heading\nNext line (see e.g. this). End',
        "a?!  b",
        "x.)  y",
        "x.\"'  y",
        "\n\n.  x",
        "abc  \n def",
        "a. \n",
        ".\n",
        "a.. b",
        "",
        "   ",
        "...",
        "x.\u2003y  z.\u00a0w",
        '"Hi."\n\n"Bye!" ok',
        "Code: f(x).\n    return x  # done.\n\n\n• item one\n• item two.",
        "\n".join(article_text(7, paragraphs=10)),
    ],
)
def test_sentence_spans_match_the_plain_definition(text):
    assert sentence_spans(text) == reference_spans(text)


def test_random_texts_split_as_the_plain_definition_says():
    """Array operations find the boundaries: random mixes of the characters that matter."""
    pieces = [*"ab .!?\"')]\n\t\r\u00a0\u2003\u3000\u0085é😀", "  ", "\n\n", ". ", '." ', "word "]
    rng = random.Random(17)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 120)))
        assert sentence_spans(text) == reference_spans(text), repr(text)


def test_no_whitespace_lies_beyond_the_boundary_table():
    assert not [c for c in range(_LAST_SPACE + 1, sys.maxunicode + 1) if chr(c).isspace()]
