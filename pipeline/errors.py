"""Errors and the catalogue of warning codes.

Codes are stable and never reused (spaCy's E005 habit). A warning's level says
whether it keeps a result ``ok`` (info, warning) or makes it ``partial`` (error).
"""

from __future__ import annotations

from pathlib import Path


class CongvanError(Exception):
    """Base of every error this package raises on purpose."""


def shown_path(path: str | Path) -> str:
    """A path as text that can be written anywhere: bytes of a file name that
    are not UTF-8 (kept by Python as lone surrogates) become U+FFFD."""
    return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


class InputError(CongvanError):
    """A file that cannot be read as a document, with the reason in a clerk's words.

    ``code`` is the errors.jsonl code (``input-error`` unless a catalogue code says more)."""

    def __init__(self, path: str | Path, reason: str, stage: str = "read", code: str = "input-error") -> None:
        self.path = str(path)
        self.reason = reason
        self.stage = stage
        self.code = code
        super().__init__(f"{shown_path(self.path)}: {reason}")


class PipelineOrderError(CongvanError):
    """A pipeline whose stages do not receive what they require."""


# code -> (level, meaning). Levels: info | warning | error.
CODES: dict[str, tuple[str, str]] = {
    "issuer-missing": ("warning", "no issuing body in the header"),
    "issuer-inferred": ("info", "issuer taken from the body or signature, not the header"),
    "number-missing": ("warning", "no 'Số:' line found"),
    "number-blank": ("warning", "the serial number is blank: an unnumbered draft?"),
    "number-illegible": ("warning", "the serial number could not be read (handwritten?): check the original"),
    "date-missing": ("warning", "no place-and-date line found"),
    "date-partial": ("warning", "the issue date is partly blank"),
    "date-invalid": ("warning", "the issue date is not a real calendar date"),
    "issued-day-suggested": (
        "info",
        "the day of the issue date is blank on the page; the e-signature's signing date has the same "
        "month and year: documents are often signed a few days after their date, type the day from the original",
    ),
    "doctype-inferred": ("info", "document type taken from the notation, not a title"),
    "doctype-missing": ("warning", "no document type found"),
    "subject-missing": ("warning", "no subject (trích yếu) found"),
    "signer-missing": ("warning", "no signature block found"),
    "distribution-missing": ("info", "no 'Nơi nhận' block found"),
    "tasks-none": ("info", "no task found in a directive part"),
    "ocr-used": ("info", "page text came from OCR"),
    "ocr-low-confidence": ("warning", "OCR word confidence is low on some pages"),
    "text-layer-rejected": ("info", "a PDF text layer was not real Vietnamese text and was replaced by OCR"),
    "legacy-encoding": ("info", "text was converted from a legacy Vietnamese encoding"),
    "glyph-repair": ("info", "wrong glyphs of the PDF's fonts were repaired"),
    "diacritics-reattached": ("info", "tone marks detached from their words by a conversion were put back"),
    "ocr-tones-restored": ("info", "tone marks OCR dropped over â/ê/ô were put back from the word list"),
    "ocr-skipped": ("warning", "pages needed OCR but OCR was turned off; their text is missing"),
    "signature-stamp-removed": ("info", "e-signature stamp text was moved from the body to meta signed_by/signed_at"),
    "arrival-stamp-removed": ("info", "an arrival stamp (CÔNG VĂN ĐẾN, Số, Ngày) was removed from OCR text"),
    "stage-failed": ("error", "a stage raised an exception; its fields are missing"),
    "empty-text": ("error", "the document has no readable text"),
    "not-vietnamese": ("error", "the text is not Vietnamese: nothing to extract"),
}


def level_of(code: str) -> str:
    return CODES[code][0]


# Warnings that make a result ``partial`` although they are not errors: the
# document holds something the clerk needs that could not be read (a serial or
# date written but illegible or impossible, pages whose text is missing or of
# low OCR confidence). A value the document leaves blank as printed
# (number-blank, date-partial on an unsigned draft) keeps the result ``ok``.
PARTIAL_CODES: frozenset[str] = frozenset(
    {"number-illegible", "date-invalid", "ocr-skipped", "ocr-low-confidence"}
)

# The stage that fails a document, for the failure codes that are warnings.
FAILING_STAGE: dict[str, str] = {"empty-text": "read", "not-vietnamese": "normalize", "stage-failed": "pipeline"}


def stage_of(code: str) -> str:
    return FAILING_STAGE.get(code, "pipeline")


def status_of(codes: list[str], failed: bool) -> str:
    """ok | partial | failed from the warning codes of a result (README: 'Status')."""
    if failed:
        return "failed"
    if any(CODES.get(c, ("warning",))[0] == "error" or c in PARTIAL_CODES for c in codes):
        return "partial"
    return "ok"
