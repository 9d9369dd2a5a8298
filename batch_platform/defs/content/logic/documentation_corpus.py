"""The real pages extraction is measured on: Python's documentation as Debian ships it
(``python3.11-doc``, 530 Sphinx pages, 9 KB-2.5 MB each, with navigation bars, a sidebar table of
contents, footers and code blocks). ``scripts/install-system-deps.sh`` installs it.

Sphinx marks what a reader came for: the ``div[role=main]`` of each page is the main text, and
the theme's navigation (the ``related`` bars above and below, the ``sphinxsidebar``, the
``mobile-nav`` menu) and its ``footer`` are what an extractor must leave behind.
"""

from __future__ import annotations

from pathlib import Path

PYTHON_DOCS = Path("/usr/share/doc/python3.11/html")
PACKAGE = "python3.11-doc"
MAIN_SELECTOR = "div[role=main]"
NAVIGATION_SELECTORS = ("div.related", "div.sphinxsidebar", "div.mobile-nav", "div.footer")


class CorpusMissing(RuntimeError):
    pass


def corpus_pages(root: Path = PYTHON_DOCS) -> list[Path]:
    """Every HTML page under ``root`` (relative paths, sorted); raises ``CorpusMissing`` with
    how to install it when there is none."""
    pages = sorted(p.relative_to(root) for p in root.rglob("*.html")) if root.is_dir() else []
    if not pages:
        raise CorpusMissing(
            f"no HTML pages under {root}: install Debian's {PACKAGE} "
            f"(bash scripts/install-system-deps.sh, or apt-get install {PACKAGE})"
        )
    return pages


def sample(pages: list[Path], count: int) -> list[Path]:
    """``count`` pages spread evenly over the sorted list (every section of the docs)."""
    if count >= len(pages):
        return list(pages)
    step = len(pages) / count
    return [pages[int(i * step)] for i in range(count)]
