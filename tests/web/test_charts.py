"""The inline SVG trajectory chart."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from autoserum.web.charts import trajectory_svg


def test_chart_is_valid_svg_with_one_line_per_instrument() -> None:
    svg = trajectory_svg(
        {"easi": [(0, 14.0), (28, 7.0), (56, 3.5)], "scorad": [(0, 27.5), (56, 10.0)]},
        {"easi": 72.0, "scorad": 103.0},
    )
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    lines = root.findall(f"{ns}polyline")
    assert len(lines) == 2
    assert len(root.findall(f"{ns}circle")) == 5
    assert root.find(f"{ns}title") is not None


def test_chart_escapes_labels_and_handles_no_data() -> None:
    empty = trajectory_svg({}, {}, title="<script>")
    assert "<script>" not in empty
    assert "No scores yet" in empty
    ET.fromstring(empty)
