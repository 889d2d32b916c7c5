"""Stage 1: bytes or text in, RawText out (the readers do the format work)."""

from __future__ import annotations

import hashlib
import unicodedata
from pathlib import Path

from pipeline.errors import InputError
from pipeline.limits import too_long
from pipeline.stage import Stage
from pipeline.state import WorkingState


def guess_text_format(text: str) -> str:
    """markdown when the text uses markdown markup, else text."""
    md_lines = sum(
        1
        for ln in text.splitlines()[:400]
        if ln.startswith(("#", "| ", "**")) or ln.rstrip().endswith(" |")
    )
    return "markdown" if md_lines >= 2 else "text"


class Read(Stage):
    name = "read"
    provides = ("raw",)
    critical = True

    def __call__(self, state: WorkingState) -> WorkingState:
        from pipeline import readers

        if state.raw is not None:  # read already (training reuses one read per document)
            pass
        elif state.given_text is not None:
            from pipeline.readers.text import text_to_rawtext

            reason = too_long(len(state.given_text))
            if reason:
                raise InputError(state.path or "text", reason)
            state.sha256 = hashlib.sha256(state.given_text.encode("utf-8")).hexdigest()
            raw = text_to_rawtext(unicodedata.normalize("NFC", state.given_text))
            if raw.format == "text" and guess_text_format(raw.text) == "markdown":
                raw.format = "markdown"
            state.raw = raw
        elif state.data is not None:
            state.sha256 = hashlib.sha256(state.data).hexdigest()
            state.raw = readers.read_bytes(state.data, state.path or "stdin")
        else:
            assert state.path is not None
            path = Path(state.path)
            state.raw = readers.read_file(path)
            state.sha256 = readers.file_sha256(path)
        reason = too_long(len(state.raw.text))
        if reason:
            raise InputError(state.path or "text", reason)
        if state.raw.ocr:
            from pipeline.ocr_correct import correct_ocr_tones

            state.raw.text, fixed = correct_ocr_tones(state.raw.text)
            if fixed:
                state.raw.warnings.append(
                    ("ocr-tones-restored", f"{fixed} words OCR read without the tone mark over â/ê/ô were corrected from the word list")
                )
        state.warnings.extend(state.raw.warnings)
        for k, v in state.raw.timings.items():
            state.timings[f"read:{k}"] = v
        return state
