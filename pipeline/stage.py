"""Stages and the pipeline that runs them in a checked order."""

from __future__ import annotations

import time
import traceback
from typing import ClassVar

from pipeline.errors import CongvanError, PipelineOrderError
from pipeline.state import WorkingState


class Stage:
    """A step: reads what it ``requires`` from the state, adds what it ``provides``."""

    name: ClassVar[str] = "stage"
    requires: ClassVar[tuple[str, ...]] = ()
    provides: ClassVar[tuple[str, ...]] = ()
    # a failing critical stage stops the run (nothing after it can work)
    critical: ClassVar[bool] = False

    def __call__(self, state: WorkingState) -> WorkingState:  # pragma: no cover - abstract
        raise NotImplementedError


class Pipeline:
    """Stages in order. Building it checks that each stage's requirements are
    provided by an earlier stage."""

    def __init__(self, stages: list[Stage], strict: bool = False) -> None:
        have: set[str] = {"input"}
        for st in stages:
            missing = [r for r in st.requires if r not in have]
            if missing:
                raise PipelineOrderError(
                    f"stage {st.name!r} requires {missing} which no earlier stage provides"
                )
            have.update(st.provides)
        self.stages = stages
        self.strict = strict

    def run(self, state: WorkingState) -> WorkingState:
        for st in self.stages:
            t0 = time.perf_counter()
            try:
                state = st(state)
            except CongvanError:
                raise
            except Exception as exc:
                if self.strict or st.critical:
                    raise
                tb = traceback.extract_tb(exc.__traceback__)[-1]
                state.warn(
                    "stage-failed",
                    f"stage {st.name} failed: {type(exc).__name__}: {exc} "
                    f"({tb.filename.rsplit('/', 1)[-1]}:{tb.lineno})",
                )
            finally:
                state.timings[st.name] = state.timings.get(st.name, 0.0) + (
                    time.perf_counter() - t0
                )
        return state
