"""The book in a real browser: headless Chromium (Debian's ``chromium``, installed by
scripts/setup.sh) driven by Playwright's Python package, which talks to the browser we point
it at (``executable_path``: Playwright's own browser download is neither needed nor possible
offline). The site is served from 127.0.0.1; every request to anywhere else is recorded and
refused, so a page that would reach out fails the test instead of stalling it.

Every page: no console error or uncaught exception, no failed or 404 request, no request off
the machine, the sidebar lists every chapter; chapters: every formula typeset by the local
MathJax without an error, every image loaded with a non-zero size (as many as the notebook's
figures), previous/next links in course order. Search for "softmax" finds 01 and 02; a
"Show the solution" and a "Show the model answer" toggle open and close. Screenshots of the
landing page and of a chapter go to build/book-screenshots/ for a person to look at.
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest

from coursebuild.course import BUILD, existing

pytestmark = pytest.mark.slow

CHROMIUM = os.environ.get("BFS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
SCREENSHOTS = BUILD / "book-screenshots"
CHAPTERS = [a.name for a in existing()]
PAGES = ["index", *(f"chapters/{name}" for name in CHAPTERS), "grader", "design"]
MATH_TIMEOUT_MS = 120_000  # typesetting a long chapter on a busy 2-core machine


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test reports what matters
        pass


@pytest.fixture(scope="module")
def site_url(book):
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(book.site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        pytest.fail("no Chromium: scripts/setup.sh installs Debian's `chromium` when run as root "
                    "(or: apt-get install chromium; or set BFS_CHROMIUM to a Chromium binary)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's own sandbox refuses to start
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


class Visit:
    """One browser context on the site, with everything that went wrong in it."""

    def __init__(self, browser, site_url: str):
        self.site_url = site_url
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.outside, self.errors = [], []
        self.context.route("**/*", self._route)
        self.context.on("requestfailed", lambda r: self.errors.append(f"request failed: {r.url} {r.failure}"))
        self.context.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"))
        self.page = self.context.new_page()
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith(self.site_url) or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort()

    def open(self, page: str):
        self.page.goto(f"{self.site_url}{page}.html", wait_until="load")
        return self.page

    def check_clean(self, what: str):
        assert not self.outside, f"{what}: requests that would leave the machine: {self.outside}"
        # the requestfailed entries of refused outside requests are reported above
        errors = [e for e in self.errors if not any(url in e for url in self.outside)]
        assert not errors, f"{what}:\n" + "\n".join(errors)


@pytest.fixture
def visit(browser, site_url):
    visit = Visit(browser, site_url)
    yield visit
    visit.context.close()


TYPESET = """() => {
  window.__typeset = false;
  const wait = () => (window.MathJax && MathJax.isReady)
      ? MathJax.Hub.Queue(() => { window.__typeset = true; }) : setTimeout(wait, 50);
  wait();
}"""

MATH = """() => {
  const maths = [...document.querySelectorAll('.bd-article .math.notranslate')];
  const typeset = maths.filter(m => m.querySelector('.MathJax, .MathJax_Display, .MathJax_SVG, .MathJax_CHTML'));
  const errors = [...document.querySelectorAll('.MathJax_Error, .merror')].map(e => e.textContent.slice(0, 80));
  if (document.body.innerText.includes('Math Processing Error')) errors.push('Math Processing Error');
  return {count: maths.length, typeset: typeset.length, errors,
          raw: maths.filter(m => !typeset.includes(m)).slice(0, 3).map(m => m.textContent.slice(0, 80))};
}"""

IMAGES = """async () => {
  const images = [...document.querySelectorAll('.bd-article img')];
  images.forEach(image => { image.loading = 'eager'; });
  await Promise.all(images.map(image => image.decode().catch(() => null)));
  return images.map(image => ({src: image.getAttribute('src'), width: image.naturalWidth,
                               height: image.naturalHeight}));
}"""


def figures_in(chapter) -> int:
    return sum(1 for cell in chapter.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
               if {"image/png", "image/jpeg", "image/svg+xml"} & set(output.get("data", {})))


def sidebar_links(page) -> list[str]:
    """The sidebar's links, without fragments (the current page's own link is ``#``)."""
    return page.eval_on_selector_all("nav.bd-docs-nav a", "links => links.map(a => a.href.split('#')[0])")


@pytest.mark.parametrize("path", PAGES)
def test_every_page_renders_offline_without_errors(path, visit, book, site_url):
    check_page(visit, path, book, site_url)


def test_the_book_also_works_opened_from_the_file_system(browser, book):
    """What the README says: open build/book/index.html; no server needed."""
    base = book.site.as_uri() + "/"
    visit = Visit(browser, base)
    try:
        for path in ("index", "chapters/02_single_layer"):
            check_page(visit, path, book, base)
    finally:
        visit.context.close()


def check_page(visit: Visit, path: str, book, site_url: str) -> None:
    page = visit.open(path)
    if page.evaluate("() => !!document.querySelector('script[src*=\"mathjax/MathJax.js\"]')"):
        page.evaluate(TYPESET)
        page.wait_for_function("() => window.__typeset === true", timeout=MATH_TIMEOUT_MS)
    math = page.evaluate(MATH)
    assert not math["errors"], f"{path}: MathJax errors {math['errors']}"
    assert math["typeset"] == math["count"], f"{path}: formulas left as raw TeX, e.g. {math['raw']}"

    images = page.evaluate(IMAGES)
    broken = [image["src"] for image in images if not (image["width"] > 0 and image["height"] > 0)]
    assert not broken, f"{path}: images that did not load: {broken}"

    links = sidebar_links(page)
    missing = [name for name in CHAPTERS if f"{site_url}chapters/{name}.html" not in links]
    assert not missing, f"{path}: the sidebar does not list {missing}"

    if path.startswith("chapters/"):
        name = path.removeprefix("chapters/")
        assert math["count"] > 0, f"{path}: no math at all?"
        assert len(images) == figures_in(book.chapters[name]), (
            f"{path}: {len(images)} images shown, the notebook has {figures_in(book.chapters[name])} figures")
        position = CHAPTERS.index(name)
        previous = f"chapters/{CHAPTERS[position - 1]}.html" if position else "index.html"
        following = f"chapters/{CHAPTERS[position + 1]}.html" if position + 1 < len(CHAPTERS) else "grader.html"
        assert page.locator("a.left-prev").evaluate("a => a.href") == f"{site_url}{previous}"
        assert page.locator("a.right-next").evaluate("a => a.href") == f"{site_url}{following}"
    visit.check_clean(path)


def test_search_for_softmax_finds_the_01_and_02_chapters(visit, site_url):
    page = visit.open("index")
    page.keyboard.press("Control+k")            # the theme's search shortcut opens its dialog
    field = page.locator("input[name='q']:visible").first
    field.fill("softmax")
    field.press("Enter")
    page.wait_for_url("**/search.html?q=softmax*")
    page.wait_for_function("() => document.querySelector('#search-results .search-summary')"
                           " && !document.querySelector('#search-progress')?.textContent.includes('Preparing')",
                           timeout=60_000)
    page.wait_for_selector("#search-results ul.search li", timeout=60_000)
    found = page.eval_on_selector_all("#search-results ul.search li a", "links => links.map(a => a.href)")
    for name in ("01_derivatives", "02_single_layer"):
        assert any(f"{site_url}chapters/{name}.html" in url for url in found), (
            f"searching 'softmax' did not find {name}: {found}")
    visit.check_clean("search")


def check_toggle(page, summary_text: str) -> None:
    toggle = page.locator("details.hide", has=page.locator("summary", has_text=summary_text)).first
    body = toggle.locator(":scope > :not(summary)").first
    toggle.scroll_into_view_if_needed()
    assert toggle.evaluate("d => d.open") is False and not body.is_visible(), f"'{summary_text}' starts open"
    toggle.locator("summary").click()
    assert toggle.evaluate("d => d.open") is True and body.is_visible(), f"'{summary_text}' did not open"
    assert toggle.locator("summary").inner_text().strip().startswith("Hide the")
    toggle.locator("summary").click()
    assert toggle.evaluate("d => d.open") is False and not body.is_visible(), f"'{summary_text}' did not close"


def test_solution_and_model_answer_toggles_open_and_close(visit):
    page = visit.open("chapters/01_derivatives")
    check_toggle(page, "Show the solution")
    check_toggle(page, "Show the model answer")
    visit.check_clean("toggles")


def test_screenshots_for_a_reader(visit):
    """Landing page and chapter 02 (its top, and a solution opened), for a person to judge."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    visit.open("index").screenshot(path=str(SCREENSHOTS / "landing.png"))
    page = visit.open("chapters/02_single_layer")
    page.evaluate(TYPESET)
    page.wait_for_function("() => window.__typeset === true", timeout=MATH_TIMEOUT_MS)
    page.screenshot(path=str(SCREENSHOTS / "chapter-02.png"))
    toggle = page.locator("details.hide").first
    toggle.locator("summary").click()
    # the exercise (signature, docstring, `...`) above it, then the opened solution
    toggle.evaluate("d => (d.closest('.cell').previousElementSibling || d).scrollIntoView()")
    page.screenshot(path=str(SCREENSHOTS / "chapter-02-solution-open.png"))
    page.evaluate("() => window.scrollTo(0, document.body.scrollHeight)")
    page.screenshot(path=str(SCREENSHOTS / "chapter-02-end.png"))
    for name in ("landing", "chapter-02", "chapter-02-solution-open", "chapter-02-end"):
        assert (SCREENSHOTS / f"{name}.png").stat().st_size > 10_000
    visit.check_clean("screenshots")
