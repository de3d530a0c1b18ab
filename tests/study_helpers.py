"""Small studies for report tests: a study spec run quietly in a temporary folder and
read back, and a report fragment's text as a reader sees it."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path

import yaml

from spmsim.report import studyview as sv
from spmsim.studies.study import run_study


def run_spec(spec: dict, folder: Path) -> sv.StudyView:
    """Write `spec` to folder/study.yaml, run it into folder/out and open the result."""
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    run_study(path, folder / "out", progress=False, log=lambda *_: None)
    return sv.open_study(folder / "out")


def page_text(html: str) -> str:
    """HTML as text: tags dropped, entities read, white space collapsed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))
