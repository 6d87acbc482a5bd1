"""The rendered report ends with a link to the run's manifest, not a page of raw JSON."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from seqcast.report.page import render
from tests.unit.report.test_formats import _weekly_report


@pytest.mark.filterwarnings("ignore:No artists with labels")  # the fixture has no candidates
def test_manifest_is_a_link_in_markdown_and_a_collapsed_section_in_html():
    """report.md links manifest.json; report.html holds the JSON inside a closed <details>."""
    config = {f"setting_{i}": i for i in range(40)}
    report = render(replace(_weekly_report(), config=config, versions={"keras": "3.15.1"}))
    assert "```json" not in report.markdown and "setting_39" not in report.markdown
    assert "[manifest.json](manifest.json)" in report.markdown
    details = re.search(r"<details>(.*?)</details>", report.html, re.S)
    assert details and "setting_39" in details.group(1) and "keras" in details.group(1)
    assert "<details open" not in report.html
    assert report.html.count("setting_39") == 1
