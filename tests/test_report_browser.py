"""report.html as a reader sees it, opened in a real headless Chromium at 1280 px, and report.pdf read back.

A page can hold well-formed HTML and still show a reader raw Markdown (a table python-markdown did
not recognise stays a paragraph of pipes), a broken image or a table running off the page's right
edge; only a browser's rendered text, decoded images and laid-out widths tell. Skipped, saying what
is missing, where Chromium or its driver is not installed (.ci/run installs both where it can).
The PDF is read back with pypdf: its pages' text and the images each page holds.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from analysis import questions
from analysis.load import load_experiment
from analysis.report import evidence, write_report
from tests.helpers import BATCH_AND_SCHEDULE_QUESTIONS, raw_markdown

VIEWPORT = 1280  # px: a laptop's browser window
BODY_PAGES = 3  # the assignment's limit for the experimental report


@dataclass(frozen=True)
class Page:
    text: str  # document.body.innerText: what the reader sees, as laid out
    images: list[dict]  # per <img>: complete, naturalWidth, naturalHeight
    headings: list[str]  # the <h2> texts
    widths: dict  # the viewport's, the document's and each table's laid-out and scrolling widths
    answers_bottom: float  # where the summary's list of answers ends, from the top of the page (px)
    first_table_top: float
    section_images: list[int]  # per <h2>: how many images its section holds before the next <h2>


@pytest.fixture(scope="module")
def chromium() -> Iterator[webdriver.Chrome]:
    """Headless Chromium driven by the chromedriver on PATH, both named explicitly so that Selenium Manager never
    tries to download a browser."""
    found = {name: shutil.which(name) for name in ("chromium", "chromedriver")}
    missing = [name for name, path in found.items() if path is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not found on PATH (Debian: apt-get install chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = found["chromium"]
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={VIEWPORT},900"):
        options.add_argument(argument)  # no sandbox: CI runs as root
    driver = webdriver.Chrome(service=Service(executable_path=found["chromedriver"]), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# Per <h2>, the images of the elements up to the next <h2>.
SECTION_IMAGES = """
return Array.from(document.querySelectorAll('h2'), heading => {
  let count = 0;
  for (let node = heading.nextElementSibling; node && node.tagName !== 'H2'; node = node.nextElementSibling) {
    count += node.tagName === 'IMG' ? 1 : node.querySelectorAll('img').length;
  }
  return count;
});
"""


def read_page(driver: webdriver.Chrome, page: Path) -> Page:
    """Open a file and read back what the browser rendered, once the page (images included) has loaded."""
    driver.get(page.as_uri())
    script = driver.execute_script
    return Page(
        text=script("return document.body.innerText"),
        images=script(
            "return Array.from(document.images, image => ({complete: image.complete, "
            "naturalWidth: image.naturalWidth, naturalHeight: image.naturalHeight}))"
        ),
        headings=script("return Array.from(document.querySelectorAll('h2'), h => h.innerText)"),
        widths=script(
            "return {viewport: window.innerWidth, document: document.documentElement.scrollWidth, "
            "tables: Array.from(document.querySelectorAll('table'), t => "
            "({right: t.getBoundingClientRect().right, scroll: t.scrollWidth, client: t.clientWidth}))}"
        ),
        answers_bottom=script("return document.querySelector('ul').getBoundingClientRect().bottom + window.scrollY"),
        first_table_top=script("return document.querySelector('table').getBoundingClientRect().top + window.scrollY"),
        section_images=script(SECTION_IMAGES),
    )


@pytest.fixture(scope="module")
def three_seed_report(three_seeds, tmp_path_factory) -> Path:
    """The report of the real 4-config 3-seed sweep, written as report.py writes it."""
    out = tmp_path_factory.mktemp("report")
    write_report(three_seeds, out)
    return out


def test_report_page_fits_1280_px_and_shows_the_answers_then_their_evidence(three_seeds, three_seed_report, chromium):
    page = read_page(chromium, three_seed_report / "report.html")
    assert raw_markdown(page.text) == []
    written = len(list(three_seed_report.glob("*.png")))
    assert written and len(page.images) == written
    broken = [
        image for image in page.images if not image["complete"] or 0 in (image["naturalWidth"], image["naturalHeight"])
    ]
    assert broken == []
    # Nothing to scroll sideways: not the page, not a table.
    viewport = page.widths["viewport"]
    assert viewport == VIEWPORT and page.widths["document"] <= viewport
    assert page.widths["tables"] and all(
        table["scroll"] <= table["client"] and table["right"] <= viewport for table in page.widths["tables"]
    )
    # The three answers come first, above the first table; then each question's section with its evidence.
    lines = page.text.splitlines()
    assert [next(line for line in lines if line.startswith(question)) for question in BATCH_AND_SCHEDULE_QUESTIONS]
    assert page.answers_bottom < page.first_table_top
    assert page.headings == [*BATCH_AND_SCHEDULE_QUESTIONS, "Appendix"]
    placed = evidence(questions.answers(load_experiment(three_seeds)))
    figures = [len([item for item in placed[question] if item.endswith(".png")]) for question in placed]
    assert page.section_images[:3] == figures


def test_report_pdf_holds_the_answers_on_page_one_and_the_body_within_three_pages(three_seeds, three_seed_report):
    reader = PdfReader(three_seed_report / "report.pdf")
    texts = [" ".join(page.extract_text().split()) for page in reader.pages]
    assert len(texts) > BODY_PAGES  # the appendix follows the body
    assert all(question in texts[0] for question in BATCH_AND_SCHEDULE_QUESTIONS)
    # The appendix starts a page of its own, at most the fourth: the summary and the three sections fill at most three.
    appendix = next(number for number, text in enumerate(texts, 1) if text.startswith("Appendix"))
    assert appendix <= BODY_PAGES + 1
    # Every figure embedded: the best samples and each section's evidence in the body, the rest after it.
    drawn = [drawn_images(page) for page in reader.pages]
    body = set().union(*drawn[: appendix - 1])
    placed = evidence(questions.answers(load_experiment(three_seeds)))
    assert len(body) == 1 + sum(len([item for item in items if item.endswith(".png")]) for items in placed.values())
    assert len(set().union(*drawn)) == len(list(three_seed_report.glob("*.png")))


def drawn_images(page) -> set[str]:
    """The image XObjects a PDF page draws (``/name Do`` in its content stream): WeasyPrint gives every page the same
    resources, so what a page lists is not what it shows."""
    images = {name for name, item in page["/Resources"]["/XObject"].items() if item["/Subtype"] == "/Image"}
    content = page.get_contents().get_data().decode("latin-1")
    return {name for name in images if f"{name} Do" in content}
