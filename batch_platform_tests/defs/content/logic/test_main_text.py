"""Which extractor reads a page: on a page that marks its navigation, main content where it keeps
the page's text and the text outside the landmarks where main content threw away a page of links;
trafilatura on a page that marks none; and the settings that choose."""

import pytest

from batch_platform.defs.content.logic.cleaning import CleanSettings
from batch_platform.defs.content.logic.content_settings import load_content_settings
from batch_platform.defs.content.logic.extract import extract
from batch_platform.defs.content.logic.local_site import article_html, article_text
from batch_platform.defs.content.logic.main_text import main_text, marks_navigation

ENTRIES = [f"entry{n} (module{n % 7})" for n in range(60)]
NAVIGATION = "<a href='/'>Home</a> <a href='/search'>Search</a> <a href='/about'>About us</a>"


def index_page(marked: bool) -> str:
    """An index: nothing but links, the page's whole content, with a navigation bar and footer
    marked as such (``marked``) or as plain divs."""
    entries = "".join(f"<li><a href='/e/{n}'>{e}</a></li>" for n, e in enumerate(ENTRIES))
    nav, footer = ("nav", "footer") if marked else ("div", "div")
    return (
        f"<html><body><{nav}>{NAVIGATION}</{nav}><div><h1>Index</h1><ul>{entries}</ul></div>"
        f"<{footer}>Copyright Example Foundation</{footer}></body></html>"
    )


def test_an_article_is_read_by_main_content():
    found = main_text(article_html(4).decode())
    assert found.extractor == "main_content"
    assert all(paragraph in found.text for paragraph in article_text(4))
    assert "About" not in found.text and "Privacy" not in found.text


def test_a_page_of_links_with_marked_navigation_keeps_the_text_outside_it():
    found = main_text(index_page(marked=True))
    assert found.extractor == "landmarks"
    assert all(entry in found.text for entry in ENTRIES)
    assert "Search" not in found.text and "Copyright" not in found.text


def test_a_page_of_links_without_marked_navigation_goes_to_trafilatura():
    auto = main_text(index_page(marked=False))
    assert auto.extractor == "trafilatura"
    assert sum(entry in auto.text for entry in ENTRIES) >= len(ENTRIES) // 2
    # "fast" never calls trafilatura: the whole page, navigation and all, rather than nothing.
    fast = main_text(index_page(marked=False), "fast")
    assert fast.extractor == "landmarks"
    assert all(entry in fast.text for entry in ENTRIES)


def test_an_article_without_navigation_markup_goes_to_trafilatura():
    unmarked = article_html(4).decode().replace("nav>", "div>").replace("footer>", "div>")
    assert main_text(unmarked).extractor == "trafilatura"
    assert main_text(unmarked, "fast").extractor == "main_content"


@pytest.mark.parametrize(
    ("body", "marks"),
    [
        ("<nav><a href='/'>Home</a></nav><p>text</p>", True),
        ("<div role='navigation'>Home</div><p>text</p>", True),
        ("<div class='page-footer footer'>© 2026</div><p>text</p>", True),
        ("<header></header><nav> </nav><p>text</p>", False),  # empty landmarks mark nothing
        ("<div class='sidebarish'>Home</div><p>text</p>", False),  # whole class names only
        ("<p>text</p>", False),
    ],
)
def test_what_marks_navigation(body, marks):
    from resiliparse.parse.html import HTMLTree

    assert marks_navigation(HTMLTree.parse(f"<html><body>{body}</body></html>")) is marks


def test_trafilatura_alone_reads_every_page():
    found = main_text(article_html(4).decode(), "trafilatura")
    assert found.extractor == "trafilatura"
    assert article_text(4)[0] in found.text


def test_the_extractor_is_recorded_for_html_only():
    assert extract(article_html(1), "text/html", None).extractor == "main_content"
    assert extract(b"plain", "text/plain", None).extractor is None


def test_the_encoding_comes_from_the_header_then_the_page():
    page = "<html><head><meta charset='iso-8859-1'><title>Caf\xe9</title></head><body>"
    page += "<p>" + "Un caf\xe9 cr\xe8me, s'il vous pla\xeet. " * 20 + "</p></body></html>"
    body = page.encode("latin-1")
    found = extract(body, "text/html", None)
    assert found.title == "Caf\xe9" and "caf\xe9 cr\xe8me" in found.text
    assert "caf\xe9" not in extract(body, "text/html; charset=utf-8", None).text


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ("auto", None, 60.0)),
        ({"EXTRACTOR": "trafilatura", "EXTRACT_WORKERS": "0"}, ("trafilatura", 0, 60.0)),
        ({"EXTRACTOR": "fast", "EXTRACT_WORKERS": "3", "EXTRACT_TIMEOUT": "5"}, ("fast", 3, 5.0)),
    ],
)
def test_settings_choose_the_extractor_workers_and_timeout(env, expected):
    settings = load_content_settings({f"BATCH_PLATFORM_CONTENT_{k}": v for k, v in env.items()})
    clean = settings.clean_settings()
    extractor, workers, timeout = expected
    assert clean.extractor == extractor and clean.page_timeout == timeout
    assert clean.workers == (workers if workers is not None else CleanSettings().workers)
    assert clean.workers >= (0 if workers == 0 else 1)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"EXTRACTOR": "readability"}, "EXTRACTOR must be one of auto, fast, trafilatura"),
        ({"EXTRACT_WORKERS": "-1"}, "EXTRACT_WORKERS must be 0 or more"),
        ({"EXTRACT_TIMEOUT": "0"}, "EXTRACT_TIMEOUT positive"),
        ({"EXTRACT_WORKERS": "many"}, "cannot read 'many' as int"),
    ],
)
def test_bad_extraction_settings_are_refused(env, message):
    with pytest.raises(ValueError, match=message):
        load_content_settings({f"BATCH_PLATFORM_CONTENT_{k}": v for k, v in env.items()})
