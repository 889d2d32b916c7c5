"""The one mutable working state that flows through the stages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.readers import RawText
from pipeline.textview import Segment


@dataclass
class Line:
    """One line of the normalized text: ``seg`` covers it without the newline."""

    seg: Segment
    page: int
    indent: int  # leading spaces
    noise: bool = False  # page number, footnote, page chrome: not read as content


@dataclass
class WorkingState:
    # input
    path: str | None = None
    data: bytes | None = None
    given_text: str | None = None
    # read
    raw: RawText | None = None
    sha256: str = ""
    # normalize
    text: str = ""
    fold: str = ""
    lines: list[Line] = field(default_factory=list)
    # layout: segments of the header columns, the body lines and the closing columns
    header_left: list[Segment] = field(default_factory=list)
    header_right: list[Segment] = field(default_factory=list)
    header_end: int = 0  # index of the first line after the header block
    body_start: int = 0  # line index where the body begins
    body_end: int = 0  # line index where the closing (Nơi nhận / signer) begins
    closing_end: int = 0  # line index after the closing block
    closing_left: list[Segment] = field(default_factory=list)
    closing_right: list[Segment] = field(default_factory=list)
    # extracted fields: name -> value (plain python), with spans and confidences
    fields: dict[str, Any] = field(default_factory=dict)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)
    confidence: dict[str, float] = field(default_factory=dict)
    # outline and tasks
    items: list[Any] = field(default_factory=list)
    # a plan's own fields for all its tasks ("Thời gian thực hiện: …", "Chủ trì: …"): kind -> segments
    plan_attributes: dict[str, list[Segment]] = field(default_factory=dict)
    tasks: list[Any] = field(default_factory=list)
    # every unit the tasks stage considered, with its features (for training)
    candidates: list[Any] = field(default_factory=list)
    # per-item memo of the item's joined text and its fold (pipeline/items.py)
    views: dict[int, Any] = field(default_factory=dict)
    folds: dict[int, str] = field(default_factory=dict)
    headingish: dict[int, bool] = field(default_factory=dict)
    positions: dict[int, dict[int, int]] = field(default_factory=dict)
    # per parent: for each child, the nearest earlier sibling that may introduce it (items.intro_before)
    intro_candidates: dict[int, list[int]] = field(default_factory=dict)
    heading_words: dict[int, list[str]] = field(default_factory=dict)
    # organisation mentions of the whole text, per gazetteer (pipeline/mentions.py)
    mentions: dict[int, Any] = field(default_factory=dict)
    # per-heading memo of the addressees its children name (stages/agencies.py)
    addressees: dict[int, list[str]] = field(default_factory=dict)
    # the frozen output, built by the last stage
    document: Any = None
    # organisation names as written -> agency list id (for Agency.agency_id)
    agency_ids: dict[str, str] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def warn(self, code: str, message: str | None = None) -> None:
        from pipeline.errors import CODES

        self.warnings.append((code, message or CODES[code][1]))
