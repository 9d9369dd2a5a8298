"""How well an extractor read a page whose main text and navigation are known.

Words are compared as bags (``\\w+``, case-folded), the measure of content-extraction benchmarks
(CleanEval, the ScrapingHub article benchmark): formatting, bullets and line breaks differ
between extractors and do not count, missing and extra words do.

- **main text kept**: the share of the main text's words found in the output (recall);
- **navigation left behind**: of the navigation's words that the main text does not also have
  (a sidebar's table of contents repeats the page's headings: those count as main text), the share
  absent from the output, beyond what the main text accounts for;
- **precision**: the share of the output's words that belong to the main text.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import fmean

_WORD = re.compile(r"\w+")


def word_counts(text: str) -> Counter[str]:
    return Counter(word.casefold() for word in _WORD.findall(text))


@dataclass(frozen=True)
class ReferenceText:
    main: str
    navigation: str


@dataclass(frozen=True)
class PageQuality:
    main_kept: float
    navigation_left_behind: float
    precision: float


def page_quality(output: str, reference: ReferenceText) -> PageQuality:
    found, main = word_counts(output), word_counts(reference.main)
    navigation_only = word_counts(reference.navigation) - main
    kept = sum(min(found[word], count) for word, count in main.items())
    beyond_main = found - main
    leaked = sum(min(beyond_main[word], count) for word, count in navigation_only.items())
    return PageQuality(
        main_kept=kept / main.total() if main else 1.0,
        navigation_left_behind=1 - leaked / navigation_only.total() if navigation_only else 1.0,
        precision=kept / found.total() if found else (1.0 if not main else 0.0),
    )


def reference_text(
    html: str, main_selector: str, navigation_selectors: Sequence[str]
) -> ReferenceText:
    """The text of the elements the page marks as main text and as navigation, each rendered
    whole (every element's text, scripts and styles aside, blocks apart: Resiliparse's plain-text
    rendering, without its main-content heuristics), so that no extractor decides the reference."""
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    document = HTMLTree.parse(html).document

    def rendered(selectors: Sequence[str]) -> str:
        return "\n".join(
            extract_plain_text(node.html)
            for selector in selectors
            for node in document.query_selector_all(selector)
        )

    return ReferenceText(rendered([main_selector]), rendered(navigation_selectors))


@dataclass(frozen=True)
class CorpusQuality:
    """The mean of every page's figures (each page weighs the same, large or small)."""

    pages: int
    main_kept: float
    navigation_left_behind: float
    precision: float
    pages_keeping_under_half: int  # pages whose output has less than half of their main text

    def as_dict(self) -> dict:
        return {
            "pages": self.pages,
            "main_kept": round(self.main_kept, 4),
            "navigation_left_behind": round(self.navigation_left_behind, 4),
            "precision": round(self.precision, 4),
            "pages_keeping_under_half": self.pages_keeping_under_half,
        }


def corpus_quality(qualities: Iterable[PageQuality]) -> CorpusQuality:
    scored = list(qualities)
    if not scored:
        raise ValueError("no pages to measure")
    return CorpusQuality(
        pages=len(scored),
        main_kept=fmean(q.main_kept for q in scored),
        navigation_left_behind=fmean(q.navigation_left_behind for q in scored),
        precision=fmean(q.precision for q in scored),
        pages_keeping_under_half=sum(q.main_kept < 0.5 for q in scored),
    )
