"""The main text of an HTML page, by one of three extractors chosen per page.

- ``main_content``: Resiliparse's main-content extraction (C++ over the Lexbor parser; about
  5 ms a documentation page on average, against trafilatura's 110 ms), which drops navigation,
  sidebars and footers by their markup and link density. It is used on pages that mark their
  navigation (HTML5 ``nav``/``header``/``footer``/``aside``, ARIA roles, the usual
  ``footer``/``sidebar``/``breadcrumb`` classes): without that markup it leaves much of the
  navigation in (measured: docs/benchmarks.md).
- ``landmarks``: when main content keeps less than half of the text outside those landmarks, its
  link-density rule has thrown away a page that *is* lists of links (an index, a table of
  contents): the text outside the landmarks is kept.
- ``trafilatura``: pages that mark no navigation, whose boilerplate only trafilatura's own
  heuristics find, at their cost.

Measured on 530 real documentation pages, as served and with their navigation markup removed, in
docs/benchmarks.md; docs/design-notes.md says why.
"""

from __future__ import annotations

from dataclasses import dataclass

EXTRACTORS = ("auto", "fast", "trafilatura")

# Main content must keep at least this share of the text outside the navigation landmarks;
# below it, the page is lists of links that main-content heuristics take for navigation.
MAIN_CONTENT_MIN_SHARE = 0.5

NAVIGATION_LANDMARKS = (
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "[role=navigation]",
    "[role=banner]",
    "[role=contentinfo]",
    "[role=complementary]",
    "[role=search]",
    "[class~=footer]",
    "[id=footer]",
    "[class~=sidebar]",
    "[class~=breadcrumb]",
    "[class~=breadcrumbs]",
)
_ANY_LANDMARK = ", ".join(NAVIGATION_LANDMARKS)
_LANDMARKS_CHEAPEST_FIRST = sorted(NAVIGATION_LANDMARKS, key=lambda s: not s.startswith("["))


_RESILIPARSE = ("resiliparse.parse.html", "resiliparse.extract.html2text")
# What each extractor imports on its first page (imported lazily: the code location every run
# loads does not need them), for worker processes to import before their first page's clock.
# ``auto`` leaves trafilatura (0.3 s of CPU a worker) to the first page that needs it: most
# batches have none.
EXTRACTOR_MODULES = {
    "auto": _RESILIPARSE,
    "fast": _RESILIPARSE,
    "trafilatura": ("trafilatura",),
}


@dataclass(frozen=True)
class MainText:
    text: str
    extractor: str  # main_content, landmarks or trafilatura


def trafilatura_text(html: str) -> str:
    # Imported here, not with the code location every run loads (0.1 s of it).
    import trafilatura

    # Metadata extraction (dates, authors) would triple the cost; the title is <title>.
    document = trafilatura.bare_extraction(html, with_metadata=False, include_comments=False)
    return (document.text or "").strip() if document is not None else ""


def main_text(html: str, extractor: str = "auto") -> MainText:
    """The page's main text by ``extractor``: ``auto`` (Resiliparse on a page that marks its
    navigation, trafilatura on one that does not), ``fast`` (Resiliparse on every page: bounded
    time per page) or ``trafilatura`` (every page, as before issue 17)."""
    if extractor not in EXTRACTORS:
        raise ValueError(f"unknown extractor {extractor!r}: one of {', '.join(EXTRACTORS)}")
    if extractor == "trafilatura":
        return MainText(trafilatura_text(html), "trafilatura")
    from resiliparse.extract.html2text import extract_plain_text
    from resiliparse.parse.html import HTMLTree

    tree = HTMLTree.parse(html)
    if extractor == "auto" and not marks_navigation(tree):
        return MainText(trafilatura_text(html), "trafilatura")
    main = extract_plain_text(tree, main_content=True).strip()
    if len(main) >= MAIN_CONTENT_MIN_SHARE * _visible_length(tree):  # the page bounds the rest
        return MainText(main, "main_content")
    outside = extract_plain_text(tree, skip_elements=list(NAVIGATION_LANDMARKS)).strip()
    if len(main) >= MAIN_CONTENT_MIN_SHARE * len(outside):
        return MainText(main, "main_content")
    return MainText(outside, "landmarks")


def marks_navigation(tree) -> bool:
    """Whether some element the landmark rule names holds text (an empty ``<header>`` marks
    nothing)."""
    document = tree.document
    first = document.query_selector(_ANY_LANDMARK)  # stops at the first match: cheap
    if first is None:
        return False
    if first.text.strip():
        return True
    # The first landmark is empty (a menu that a script fills in): any other one with text. One
    # selector at a time, stopping at the first landmark with text, attribute selectors first:
    # Lexbor matches those in half the time of a tag name, and on a page with many nodes the
    # whole list at once takes about as long as all of them one by one.
    return any(
        node.text.strip()
        for selector in _LANDMARKS_CHEAPEST_FIRST
        for node in document.query_selector_all(selector)
    )


def _visible_length(tree) -> int:
    """An upper bound of the page's text length (the body's text nodes, scripts included)."""
    body = tree.body
    return len(body.text) if body is not None else 0
