"""congvan: Vietnamese administrative documents to trackable tasks.

Public API: :func:`extract` and :class:`Pipeline`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models import DirectiveDocument
from pipeline.errors import InputError
from pipeline.stage import Pipeline
from pipeline.state import WorkingState

__all__ = ["Pipeline", "extract", "extract_text", "default_pipeline", "__version__"]
__version__ = "0.1.0"


def default_pipeline(strict: bool = False, task_model: Any = "shipped", value_models: Any = "shipped") -> Pipeline:
    """The standard stages in run order. ``task_model``/``value_models``: the
    learned models to use ("shipped": those trained by ``congvan train``; None:
    the rules alone)."""
    from pipeline.stages.agencies import Agencies
    from pipeline.stages.assemble import Assemble
    from pipeline.stages.closing import Closing
    from pipeline.stages.confidence import Confidence
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
            Tasks(model=task_model),
            Agencies(),
            Deadlines(),
            Confidence(models=value_models),
            Assemble(),
        ],
        strict=strict,
    )


_DEFAULT: Pipeline | None = None


def _pipeline(strict: bool) -> Pipeline:
    global _DEFAULT
    if strict:
        return default_pipeline(strict=True)
    if _DEFAULT is None:
        _DEFAULT = default_pipeline()
    return _DEFAULT


def run_state(
    source: str | Path | bytes, *, name: str | None = None, strict: bool = False, text: str | None = None
) -> WorkingState:
    """Run the pipeline and return the final working state (with timings).

    ``source`` is a path (str or Path) or the document's bytes; ``text=`` gives
    the document's text instead (then ``source`` is ignored).
    """
    state = WorkingState()
    if text is not None:
        state.given_text, state.path = text, name
    elif isinstance(source, bytes):
        state.data, state.path = source, name
    elif isinstance(source, (str, Path)):
        s = str(source)
        if isinstance(source, str) and ("\n" in s or len(s) > 4096):  # a Path is a path, even "a\nb.txt"
            raise TypeError("extract() takes a path or bytes; this looks like a document's text: use extract_text()")
        state.path = s
        path = Path(s)
        try:
            exists = path.exists()
        except (OSError, ValueError):
            exists = False
        if not exists:
            raise InputError(s, "no such file (to extract text given as a string, use extract_text())")
    else:
        raise TypeError(f"extract() takes a path or bytes, not {type(source).__name__}")
    return _pipeline(strict).run(state)


def extract(source: str | Path | bytes, *, name: str | None = None, strict: bool = False) -> DirectiveDocument:
    """Extract one document from a file path or from its bytes (``name`` gives
    bytes a file name for the format and messages).

    Raises :class:`pipeline.errors.InputError` for a file that does not exist or
    cannot be read. Text in a string goes to :func:`extract_text`.
    """
    return _document(run_state(source, name=name, strict=strict))


def extract_text(text: str, *, name: str | None = None, strict: bool = False) -> DirectiveDocument:
    """Extract one document given as text. The text gets the same repairs as a
    file's bytes: legacy encodings (TCVN3, VNI), detached tone marks, NFC."""
    return _document(run_state(b"", name=name, strict=strict, text=text))


def _document(state: WorkingState) -> DirectiveDocument:
    doc = state.document
    assert isinstance(doc, DirectiveDocument)
    return doc
