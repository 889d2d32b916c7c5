"""Views over the normalized text: pieces of it joined into a string that can be
searched with regexes while every match still maps back to offsets in the text.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Segment:
    """A half-open slice [start, end) of the document text."""

    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


class View:
    """Segments of ``text`` joined by ``sep``; ``pos[i]`` is the offset in
    ``text`` of character ``i`` of ``s`` (a separator maps to the end of the
    segment before it)."""

    __slots__ = ("s", "pos")

    def __init__(self, s: str, pos: list[int]) -> None:
        self.s = s
        self.pos = pos

    @classmethod
    def join(cls, text: str, segments: Iterable[Segment], sep: str = " ") -> View:
        parts: list[str] = []
        pos: list[int] = []
        first = True
        for seg in segments:
            if seg.end <= seg.start:
                continue
            if not first:
                parts.append(sep)
                pos.extend([pos[-1] + 1 if pos else seg.start] * len(sep))
            parts.append(text[seg.start : seg.end])
            pos.extend(range(seg.start, seg.end))
            first = False
        return cls("".join(parts), pos)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Offsets in the document text of ``s[start:end]``."""
        if end <= start or not self.pos:
            p = self.pos[start] if start < len(self.pos) else (self.pos[-1] + 1 if self.pos else 0)
            return (p, p)
        return (self.pos[start], self.pos[end - 1] + 1)

    def collapsed(self) -> str:
        return collapse(self.s)


def collapse(s: str) -> str:
    """Whitespace runs to one space, stripped."""
    return " ".join(s.split())  # str.split() splits on the same whitespace as \s


def strip_segment(text: str, seg: Segment, chars: str | None = None) -> Segment:
    """The segment without leading/trailing whitespace (or ``chars``)."""
    s, e = seg.start, seg.end
    while s < e and (text[s].isspace() if chars is None else text[s] in chars or text[s].isspace()):
        s += 1
    while e > s and (
        text[e - 1].isspace() if chars is None else text[e - 1] in chars or text[e - 1].isspace()
    ):
        e -= 1
    return Segment(s, e)
