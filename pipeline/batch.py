"""Batch extraction of many inputs: a pool of worker processes, resumable by
content hash, atomic writes, bad inputs recorded in errors.jsonl, never lost."""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INPUT_SUFFIXES = {".txt", ".md", ".text", ".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".docx", ".doc"}


def pipeline_version() -> str:
    """Version of the code and data that produce an output: the package version
    plus a hash of the pipeline's source and resources."""
    from pipeline import __version__

    root = Path(__file__).parent
    h = hashlib.sha256()
    for p in sorted(list(root.rglob("*.py")) + list(root.rglob("*.yaml"))):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


def iter_inputs(paths: Iterable[str], errors: list[dict[str, str]]) -> Iterator[Path]:
    """Files under the given paths (folders walked recursively, symlink loops and
    unreadable folders recorded as errors, not followed forever)."""
    seen_dirs: set[tuple[int, int]] = set()
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path, followlinks=True, onerror=lambda e: errors.append({"path": str(e.filename), "reason": f"cannot open the folder: {e.strerror}", "stage": "walk"})):
                try:
                    st = os.stat(dirpath)
                except OSError as e:
                    errors.append({"path": dirpath, "reason": f"cannot open the folder: {e.strerror}", "stage": "walk"})
                    dirnames[:] = []
                    continue
                key = (st.st_dev, st.st_ino)
                if key in seen_dirs:
                    errors.append({"path": dirpath, "reason": "symbolic link loop: this folder was already read", "stage": "walk"})
                    dirnames[:] = []
                    continue
                seen_dirs.add(key)
                dirnames.sort()
                for name in sorted(filenames):
                    if name.startswith("."):
                        continue
                    yield Path(dirpath) / name
        elif path.exists() or path.is_symlink():
            yield path
        else:
            errors.append({"path": str(path), "reason": "no such file or folder", "stage": "walk"})


def atomic_write(path: Path, data: str) -> None:
    """Write via a temp file in the same folder and rename: never half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def process_one(path: str, out_path: str | None, version: str) -> dict[str, Any]:
    """Worker: extract one file; returns a small record (the JSON is written here)."""
    from pipeline import run_state
    from pipeline.errors import InputError

    t0 = time.perf_counter()
    try:
        state = run_state(Path(path))
        doc = state.fields["_document"]
        if doc.status == "failed":
            first = next((w for w in doc.warnings if w.level == "error"), None)
            reason = first.message if first else "nothing could be extracted"
            return {"path": path, "status": "failed", "reason": reason, "stage": first.code if first else "pipeline", "seconds": time.perf_counter() - t0}
        payload = doc.model_dump(mode="json")
        payload["pipeline_version"] = version
        data = json.dumps(payload, ensure_ascii=False, indent=1)
        if out_path:
            atomic_write(Path(out_path), data)
        return {
            "path": path,
            "status": doc.status,
            "pages": doc.source.pages,
            "ocr": doc.source.ocr,
            "seconds": time.perf_counter() - t0,
            "timings": state.timings,
            "json": None if out_path else data,
            "sha256": doc.source.sha256,
        }
    except InputError as e:
        return {"path": path, "status": "failed", "reason": e.reason, "stage": e.stage, "seconds": time.perf_counter() - t0}
    except Exception as e:  # a defect: still never stop the batch
        return {"path": path, "status": "failed", "reason": f"internal error: {type(e).__name__}: {e}", "stage": "pipeline", "seconds": time.perf_counter() - t0}


@dataclass
class BatchResult:
    ok: int = 0
    partial: int = 0
    failed: int = 0
    skipped: int = 0
    pages: int = 0
    seconds: float = 0.0
    errors: list[dict[str, str]] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)


def output_name(path: Path, taken: dict[str, Path]) -> str:
    """DIR/<stem>.json; two inputs with one stem get the second's suffix added."""
    stem = path.stem
    if stem in taken and taken[stem] != path:
        stem = f"{path.stem}.{path.suffix.lstrip('.')}"
    taken.setdefault(stem, path)
    return stem + ".json"


def run_batch(
    inputs: list[str],
    out_dir: Path | None,
    *,
    workers: int = 1,
    force: bool = False,
    jsonl: Path | None = None,
    progress: Callable[[dict[str, Any], int, int], None] | None = None,
) -> BatchResult:
    res = BatchResult()
    t0 = time.perf_counter()
    version = pipeline_version()
    files = list(iter_inputs(inputs, res.errors))
    taken: dict[str, Path] = {}
    todo: list[tuple[Path, Path | None]] = []
    index_path = out_dir / ".congvan-index.json" if out_dir else None
    index: dict[str, dict[str, str]] = {}
    if index_path and index_path.exists():
        try:
            index = json.loads(index_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            index = {}
    hashes: dict[str, str] = {}
    for f in files:
        target = out_dir / output_name(f, taken) if out_dir else None
        if target is not None and not force:
            try:
                from pipeline.readers import file_sha256

                digest = file_sha256(f)
            except OSError:
                digest = ""
            hashes[str(f)] = digest
            prev = index.get(target.name)
            if digest and prev and prev.get("sha256") == digest and prev.get("version") == version and target.exists():
                res.skipped += 1
                continue
        todo.append((f, target))
    jfh = jsonl.open("a", encoding="utf-8") if jsonl else None
    total = len(todo)
    done = 0

    def handle(rec: dict[str, Any], target: Path | None) -> None:
        nonlocal done
        done += 1
        res.records.append(rec)
        st = rec["status"]
        if st == "failed":
            res.failed += 1
            res.errors.append({"path": rec["path"], "reason": rec.get("reason", ""), "stage": rec.get("stage", "")})
        else:
            res.ok += st == "ok"
            res.partial += st == "partial"
            res.pages += rec.get("pages", 0)
            if target is not None:
                index[target.name] = {"sha256": rec.get("sha256", ""), "version": version, "input": rec["path"]}
            if jfh is not None:
                data = rec["json"] if rec.get("json") else (target.read_text(encoding="utf-8") if target else "")
                jfh.write(json.dumps(json.loads(data), ensure_ascii=False) + "\n")
                jfh.flush()
        if progress:
            progress(rec, done, total)

    try:
        if workers <= 1 or total <= 1:
            for f, target in todo:
                handle(process_one(str(f), str(target) if target else None, version), target)
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending: dict[Future[dict[str, Any]], Path | None] = {}
                it = iter(todo)
                for f, target in it:
                    pending[pool.submit(process_one, str(f), str(target) if target else None, version)] = target
                    if len(pending) >= workers * 2:
                        break
                while pending:
                    fin, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for fut in fin:
                        target = pending.pop(fut)
                        handle(fut.result(), target)
                    for f, target in it:
                        pending[pool.submit(process_one, str(f), str(target) if target else None, version)] = target
                        if len(pending) >= workers * 2:
                            break
    finally:
        if jfh is not None:
            jfh.close()
        if out_dir is not None:
            out_dir.mkdir(parents=True, exist_ok=True)
            if index_path is not None:
                atomic_write(index_path, json.dumps(index, ensure_ascii=False, indent=0))
            if res.errors:
                with (out_dir / "errors.jsonl").open("a", encoding="utf-8") as fh:
                    for e in res.errors:
                        fh.write(json.dumps(e, ensure_ascii=False) + "\n")
    res.seconds = time.perf_counter() - t0
    return res


def print_error(e: dict[str, str]) -> None:
    print(f"congvan: {e['path']}: {e['reason']}", file=sys.stderr)
