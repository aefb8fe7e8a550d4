"""report.html as a reader sees it: opened in a real headless Chromium, not parsed.

A page can hold well-formed HTML and still show a reader raw Markdown (a table python-markdown did
not recognise stays a paragraph of pipes) or a broken image; only a browser's rendered text and its
decoded images tell. Skipped, saying what is missing, where Chromium or its driver is not installed
(.ci/run installs both where it can).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from analysis import findings
from analysis.report import write_report
from tests.test_analysis import raw_markdown


@dataclass(frozen=True)
class Page:
    text: str  # document.body.innerText: what the reader sees, as laid out
    images: list[dict]  # per <img>: complete, naturalWidth, naturalHeight
    headings: list[str]  # the <h2> texts


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
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):  # no sandbox: CI runs as root
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=found["chromedriver"]), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def read_page(driver: webdriver.Chrome, page: Path) -> Page:
    """Open a file and read back what the browser rendered, once the page (images included) has loaded."""
    driver.get(page.as_uri())
    return Page(
        text=driver.execute_script("return document.body.innerText"),
        images=driver.execute_script(
            "return Array.from(document.images, image => ({complete: image.complete, "
            "naturalWidth: image.naturalWidth, naturalHeight: image.naturalHeight}))"
        ),
        headings=driver.execute_script("return Array.from(document.querySelectorAll('h2'), h => h.innerText)"),
    )


@pytest.mark.slow
def test_report_page_shows_rendered_text_every_image_and_the_three_answers(smoke, tmp_path, chromium):
    write_report(smoke[0], tmp_path)
    page = read_page(chromium, tmp_path / "report.html")
    assert raw_markdown(page.text) == []
    written = len(list(tmp_path.glob("*.png")))
    assert written and len(page.images) >= written
    broken = [
        image for image in page.images if not image["complete"] or 0 in (image["naturalWidth"], image["naturalHeight"])
    ]
    assert broken == []
    assert page.headings[: len(findings.QUESTIONS)] == list(findings.QUESTIONS)
