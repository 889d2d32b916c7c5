"""congvan: Vietnamese administrative documents to trackable tasks.

Public API: :func:`extract` and :class:`Pipeline`.
"""

from __future__ import annotations

from pathlib import Path

from models import DirectiveDocument
from pipeline.stage import Pipeline
from pipeline.state import WorkingState

__all__ = ["Pipeline", "extract", "default_pipeline", "__version__"]
__version__ = "0.1.0"


def default_pipeline(strict: bool = False) -> Pipeline:
    """The standard stages in run order."""
    from pipeline.stages.agencies import Agencies
    from pipeline.stages.assemble import Assemble
    from pipeline.stages.closing import Closing
    from pipeline.stages.deadlines import Deadlines
    from pipeline.stages.header import Header
    from pipeline.stages.issuer import InferIssuer
    from pipeline.stages.layout import Layout
    from pipeline.stages.normalize import Normalize
    from pipeline.stages.outline import Outline
    from pipeline.stages.read import Read
    from pipeline.stages.references import References
    from pipeline.stages.tasks import Tasks

    return Pipeline(
        [
            Read(),
            Normalize(),
            Layout(),
            Header(),
            Closing(),
            InferIssuer(),
            References(),
            Outline(),
            Tasks(),
            Agencies(),
            Deadlines(),
            Assemble(),
        ],
        strict=strict,
    )


_DEFAULT: Pipeline | None = None


def _is_file(s: str) -> bool:
    """Is this string the path of an existing file (rather than a document's text)?"""
    if not s.strip() or "\n" in s or len(s) > 1024:
        return False
    try:
        return Path(s).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return False


def run_state(source: str | Path | bytes, *, name: str | None = None, strict: bool = False) -> WorkingState:
    """Run the pipeline and return the final working state (with timings)."""
    global _DEFAULT
    if strict:
        pipe = default_pipeline(strict=True)
    else:
        if _DEFAULT is None:
            _DEFAULT = default_pipeline()
        pipe = _DEFAULT
    state = WorkingState()
    if isinstance(source, bytes):
        state.data, state.path = source, name
    elif isinstance(source, Path) or (isinstance(source, str) and _is_file(source)):
        state.path = str(source)
    else:
        state.given_text, state.path = str(source), name
    return pipe.run(state)


def extract(source: str | Path | bytes, *, name: str | None = None, strict: bool = False) -> DirectiveDocument:
    """Extract one document: a path, the document's text, or its bytes.

    Raises :class:`pipeline.errors.InputError` for a file that cannot be read.
    """
    state = run_state(source, name=name, strict=strict)
    doc = state.fields.get("_document")
    assert isinstance(doc, DirectiveDocument)
    return doc
