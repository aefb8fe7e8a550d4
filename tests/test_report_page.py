"""The report's HTML page (analysis.report.report_html): every Markdown construct rendered, none left raw."""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import pytest

from analysis.report import all_plots, config_table, report_data, report_html, report_markdown
from tests.helpers import raw_markdown


def test_raw_markdown_is_found_and_rendered_text_is_not():
    for typed in ("a **bold** word", "a *stressed* word", "an _underlined_ word", "- a bullet", "see `code`", "# Head"):
        assert raw_markdown(typed) == [typed]
    for shown in ("d_loss_var_corrected of batch 1024", "FID 2 × 3 * 4", "−0.5 [-1, +0.2]", "lr_scaling none"):
        assert raw_markdown(shown) == []


class _VisibleText(HTMLParser):
    """The text a page shows: everything but its head (title, style)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self._in_head = False

    def handle_starttag(self, tag, attrs):
        self._in_head |= tag == "head"

    def handle_endtag(self, tag):
        self._in_head &= tag != "head"

    def handle_data(self, data):
        if not self._in_head:
            self.parts.append(data)


@pytest.mark.slow
def test_report_page_renders_every_markdown_construct(crafted_with_checkpoints):
    data = report_data(crafted_with_checkpoints, "crafted")
    figures = [plot for plot in all_plots(data) if plot.figure is not None]
    pngs = {}
    for plot in figures:
        buffer = io.BytesIO()
        plot.figure.savefig(buffer, format="png")
        pngs[plot.file] = buffer.getvalue()
    plt.close("all")
    report = report_markdown(data, figures)
    page = report_html(report, pngs)
    parser = _VisibleText()
    parser.feed(page)
    assert raw_markdown("".join(parser.parts)) == []
    # Every table with a header row: the ranked configs; every estimate, a quantity per row, three configs a table (4
    # configs: two tables); how each trial ended and its numbers, a row per trial.
    bodies = re.findall(r"<table>\s*<thead>.*?</thead>\s*<tbody>(.*?)</tbody>", page, flags=re.S)
    quantities = len(config_table(data).columns) - 1
    assert [body.count("<tr>") for body in bodies] == [4, quantities, quantities, 8, 8]
    # The definitions as one list of plain items, one per "- " line, code spans as <code>.
    definitions = page.split('<h3 id="definitions">Definitions</h3>')[1].split("<h")[0]
    items = report.split("### Definitions")[1].split("\n#")[0].count("\n- ")
    assert definitions.count("<ul>") == 1 and definitions.count("<li>") == items and "<p>" not in definitions
    assert "<code>divergence_patience</code>" in definitions
    # Every image embedded, the very PNG bytes written.
    sources = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,([^"]+)"', page)
    assert sorted(base64.b64decode(source) for source in sources) == sorted(pngs.values())
