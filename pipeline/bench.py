"""The benchmark: how fast the pipeline is per input kind, and against what a user would script.

``run_bench`` builds (or reads from its cache) a corpus made from ``corpus/``:

- text documents: the corpus's text documents and variants of them (numbers, dates,
  province and department names changed, bullet items shuffled, NFD / UTF-8 BOM /
  UTF-16 / CRLF encodings, old tone placement), ``docs`` files in all;
- text PDFs: the corpus's text PDFs plus one PDF laid out from each text document
  (scripts/make_fixtures.py, reportlab);
- scanned pages: the corpus's real scans, then simulated scans (make_fixtures) until
  there are ``scan_pages`` pages; every page is also rendered at 300 dpi to PNG, the
  image the pipeline OCRs, for the bare ``tesseract`` baseline;
- one document at 1×, 10× and 100× its body (one header, one closing).

Every measurement runs in a fresh worker process (spawned, so its peak memory is its
own) and reports seconds, per-stage time (the sum of ``WorkingState.timings``), and
peak resident memory. OCR comparisons run pinned to one CPU on both sides. The result
is a dict (see ``format_report`` for the table) written as JSON with the commit id.
"""

from __future__ import annotations

import hashlib
import json
import math
import multiprocessing as mp
import os
import platform
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import unicodedata
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS_VERSION = "1"  # bump when the way the bench corpus is made changes
OCR_DPI = 300
SIZE_SOURCE = "104"  # corpus id of the document grown to 10× and 100× (falls back to the largest)

TARGETS = {
    "text_docs_per_s": 200.0,  # issue 14 (issue 5: 50)
    "pdf_over_pdftotext_cpu": 0.5,  # pages per CPU-second, pipeline / bare pdftotext -layout (issue 14)
    "scan_cpu_ratio": 1.05,  # CPU per scanned page, pipeline / bare tesseract (issue 14)
    "startup_cpu_s": 0.5,  # a whole `congvan extract` process for one small file (issue 14)
    "pdf_pages_per_s": 20.0,
    "scan_ratio": 1.10,
    "speedup_2_workers": 1.8,
    "peak_mb": 500.0,
    "size_exponent": 1.15,
}


@dataclass(frozen=True)
class BenchConfig:
    docs: int = 1000
    scan_pages: int = 50
    pdfs: int | None = None  # None: every corpus text PDF + one laid out per text document
    warmup: int = 20  # first documents of a timed run left out of the per-document rate
    default_thread_pages: int = 10  # pages for the tesseract-with-its-own-threads run (slow)
    size_factors: tuple[int, ...] = (1, 10, 100)
    size_budget_s: float = 20.0  # seconds of repeats for all sizes together (each size runs at least once)
    quick: bool = False
    text_only: bool = False  # only the text documents, their NFC+regex floor and start-up (the CI guard)
    startup_runs: int = 5  # whole `congvan extract` processes timed for the start-up figure (median)

    @classmethod
    def make(
        cls, docs: int | None = None, scan_pages: int | None = None, quick: bool = False, text_only: bool = False
    ) -> BenchConfig:
        """The full configuration, or with ``quick`` a tiny one (40 docs, 2 PDFs, 3 scan pages);
        ``text_only`` measures the text documents, the NFC+regex floor and start-up only."""
        if quick:
            return cls(
                text_only=text_only,
                startup_runs=2,
                docs=docs or 40,
                scan_pages=scan_pages if scan_pages is not None else 3,
                pdfs=2,
                warmup=4,
                default_thread_pages=1,
                size_factors=(1, 3, 10),
                size_budget_s=2.0,
                quick=True,
            )
        return cls(docs=docs or 1000, scan_pages=scan_pages if scan_pages is not None else 50, text_only=text_only)


# ---------------------------------------------------------------------------
# variants of a text document


_SERIAL = re.compile(r"(Số\s*:\s*)(\d+)")
_CITED = re.compile(r"(\bsố\s+)(\d+)(\s*/)")
_DATE_WORDS = re.compile(r"(ngày\s+)(\d{1,2})(\s+tháng\s+)(\d{1,2})(\s+năm\s+)(\d{4})", re.IGNORECASE)
_DATE_SLASH = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d\d)\b")
_BULLET = re.compile(r"^\s*[-+•]\s+\S")
_OUTLINE = re.compile(r"^\s*(?:\d+(?:\.\d+)*|[IVXLC]+|[a-zđ])[.)]\s")
_TONE = "[\u0300\u0301\u0303\u0309\u0323]"  # huyền sắc ngã hỏi nặng, in NFD
_TONE_PAIR = re.compile(rf"(?<![qQ])([oOuU])({_TONE}?)([aAeEyY])({_TONE}?)(?![^\W\d_])")


def vary_numbers(text: str, rng: random.Random) -> str:
    """A new serial after "Số:" and new serials for cited documents ("số 1094/TTr-UBND")."""
    text = _SERIAL.sub(lambda m: m.group(1) + str(rng.randint(1, 9999)), text, count=1)
    return _CITED.sub(lambda m: m.group(1) + str(rng.randint(1, 9999)) + m.group(3), text)


def _shift(d: int, m: int, y: int, days: int) -> date | None:
    try:
        return date(y, m, d) + timedelta(days=days)
    except ValueError:
        return None


def vary_dates(text: str, rng: random.Random) -> str:
    """Every date moved by one random number of days (their order, so deadlines, kept)."""
    days = rng.randint(-900, 900)

    def words(m: re.Match[str]) -> str:
        new = _shift(int(m.group(2)), int(m.group(4)), int(m.group(6)), days)
        if new is None:
            return m.group(0)
        dd = f"{new.day:02d}" if len(m.group(2)) == 2 else str(new.day)
        mm = f"{new.month:02d}" if len(m.group(4)) == 2 else str(new.month)
        return f"{m.group(1)}{dd}{m.group(3)}{mm}{m.group(5)}{new.year}"

    def slash(m: re.Match[str]) -> str:
        new = _shift(int(m.group(1)), int(m.group(2)), int(m.group(3)), days)
        if new is None:
            return m.group(0)
        dd = f"{new.day:02d}" if len(m.group(1)) == 2 else str(new.day)
        mm = f"{new.month:02d}" if len(m.group(2)) == 2 else str(new.month)
        return f"{dd}/{mm}/{new.year}"

    return _DATE_SLASH.sub(slash, _DATE_WORDS.sub(words, text))


def _names() -> tuple[list[str], list[str]]:
    """Province names and current provincial department names (Sở …) from resources/."""
    from pipeline.resources import load

    provinces = [p["name"] for p in load("provinces.yaml")["provinces"] if p.get("in_34")]
    departments = [
        a["name"]
        for a in load("agencies.yaml")["agencies"]
        if a.get("level") == "department" and a["name"].startswith("Sở ") and not a.get("valid_to")
    ]
    return provinces, departments


def vary_agencies(text: str, rng: random.Random, provinces: list[str], departments: list[str]) -> str:
    """The most named province becomes another one (upper case too); one department becomes another."""
    counts = {p: text.count(p) + text.count(p.upper()) for p in provinces}
    present = [p for p, c in counts.items() if c]
    if present:
        old = max(present, key=lambda p: (counts[p], len(p)))
        new = rng.choice([p for p in provinces if p != old and p not in present] or [old])
        text = text.replace(old, new).replace(old.upper(), new.upper())
    deps = [d for d in departments if d in text]
    absent = [d for d in departments if d not in text]
    if deps and absent:
        text = text.replace(rng.choice(deps), rng.choice(absent))
    return text


def shuffle_items(text: str, rng: random.Random) -> str:
    """Shuffle each run of two or more bullet items ("- …", "+ …", with their wrapped lines)."""
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _BULLET.match(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        items: list[list[str]] = []
        while i < len(lines) and _BULLET.match(lines[i]):
            item = [lines[i]]
            i += 1
            while (
                i < len(lines)
                and lines[i].strip()
                and not _BULLET.match(lines[i])
                and not _OUTLINE.match(lines[i])
            ):
                item.append(lines[i])
                i += 1
            items.append(item)
        if len(items) >= 2:
            rng.shuffle(items)
        for item in items:
            out.extend(item)
    return "\n".join(out)


def swap_tone_placement(text: str) -> str:
    """Old ⇄ new tone placement on oa, oe, uy ending a syllable: hòa ⇄ hoà, thủy ⇄ thuỷ."""

    def pair(m: re.Match[str]) -> str:
        v1, t1, v2, t2 = m.groups()
        if (v1 + v2).lower() not in ("oa", "oe", "uy") or bool(t1) == bool(t2):
            return m.group(0)
        return v1 + t2 + v2 if t2 else v1 + v2 + t1

    nfd = unicodedata.normalize("NFD", text)
    return unicodedata.normalize("NFC", _TONE_PAIR.sub(pair, nfd))


ENCODINGS = ("utf-8", "utf-8-bom", "utf-16", "nfd", "crlf")


def encode_variant(text: str, encoding: str) -> bytes:
    """The text as bytes in one of ENCODINGS."""
    if encoding == "utf-8-bom":
        return b"\xef\xbb\xbf" + text.encode("utf-8")
    if encoding == "utf-16":
        return text.encode("utf-16")  # with a BOM, little-endian here
    if encoding == "nfd":
        return unicodedata.normalize("NFD", text).encode("utf-8")
    if encoding == "crlf":
        return text.replace("\n", "\r\n").encode("utf-8")
    return text.encode("utf-8")


def make_variant(
    text: str, rng: random.Random, provinces: list[str], departments: list[str]
) -> tuple[bytes, list[str]]:
    """One variant of a document: some content changes, then an encoding. Returns (bytes, what was done)."""
    done = []
    changes: list[tuple[float, str, Callable[[str], str]]] = [
        (0.7, "numbers", lambda t: vary_numbers(t, rng)),
        (0.7, "dates", lambda t: vary_dates(t, rng)),
        (0.6, "agencies", lambda t: vary_agencies(t, rng, provinces, departments)),
        (0.5, "shuffle", lambda t: shuffle_items(t, rng)),
        (0.3, "tones", swap_tone_placement),
    ]
    for p, name, change in changes:
        if rng.random() < p:
            text = change(text)
            done.append(name)
    encoding = rng.choices(ENCODINGS, weights=(4, 1, 1, 1, 1))[0]
    done.append(encoding)
    return encode_variant(text, encoding), done


def decode_for_baseline(data: bytes) -> str:
    """Bytes of a bench text file -> str (BOMs honoured), as a user's script would do."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


# ---------------------------------------------------------------------------
# corpus


@dataclass
class ScanDoc:
    pdf: str
    pages: list[str]  # 300 dpi PNGs, the image the pipeline OCRs
    real: bool


@dataclass
class BenchCorpus:
    root: str
    key: str
    text: list[str] = field(default_factory=list)
    pdf: list[str] = field(default_factory=list)
    scans: list[ScanDoc] = field(default_factory=list)
    sizes: dict[str, str] = field(default_factory=dict)  # factor -> file
    notes: list[str] = field(default_factory=list)
    variants: dict[str, int] = field(default_factory=dict)  # what was done -> count

    def save(self) -> None:
        data = asdict(self)
        (Path(self.root) / "manifest.json").write_text(
            json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8"
        )

    @classmethod
    def load(cls, root: Path) -> BenchCorpus | None:
        try:
            data = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
            data["scans"] = [ScanDoc(**s) for s in data["scans"]]
            corpus = cls(**data)
        except (OSError, ValueError, TypeError, KeyError):
            return None
        files = corpus.text + corpus.pdf + list(corpus.sizes.values())
        files += [p for s in corpus.scans for p in [s.pdf, *s.pages]]
        return corpus if all(Path(f).exists() for f in files) else None


def load_make_fixtures() -> Any:
    """scripts/make_fixtures.py as a module (it is a script, not part of the package)."""
    import importlib.util

    path = ROOT / "scripts" / "make_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_fixtures", path)
    if spec is None or spec.loader is None or not path.exists():
        raise ImportError(f"{path} not found")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def corpus_entries(corpus: Path) -> list[dict[str, str]]:
    import jsonlines

    with jsonlines.open(corpus / "manifest.jsonl") as reader:
        return list(reader.iter(type=dict, skip_empty=True))


def corpus_key(config: BenchConfig, corpus: Path) -> str:
    """Hash of what the bench corpus is made from: the config, the sources and the generator."""
    h = hashlib.sha256(
        f"{CORPUS_VERSION}|{config.docs}|{config.scan_pages}|{config.pdfs}|{config.size_factors}|{config.text_only}".encode()
    )
    for e in corpus_entries(corpus):
        h.update(e["file"].encode())
        h.update(hashlib.sha256((corpus / e["file"]).read_bytes()).digest())
    fixtures = ROOT / "scripts" / "make_fixtures.py"
    if fixtures.exists():
        h.update(fixtures.read_bytes())
    return h.hexdigest()[:16]


def text_to_seed(text: str) -> str:
    """A text document as a make_fixtures seed: markdown tables and wide gaps become two columns."""
    out: list[str] = []
    for raw_line in text.replace("\r\n", "\n").replace("\f", "\n").split("\n"):
        line = raw_line.strip()
        if line.startswith("|") and line.endswith("|") and len(line) > 1:
            cells = [c.strip(" *") for c in line.strip("|").split("|")]
            if all(set(c) <= set("-: ") for c in cells):
                continue
            left, right = cells[0], " ".join(c for c in cells[1:] if c)
            out.append(f"{left} | {right}".strip() if right else left)
            continue
        line = re.sub(r"^#+\s*", "", line).replace("**", "").replace("|", "/")
        parts = re.split(r"\s{3,}", line)
        if len(parts) >= 2 and parts[0]:
            out.append(f"{parts[0]} | {' '.join(parts[1:])}")
        elif not line and out and not out[-1]:
            continue
        else:
            out.append(line)
    return "\n".join(out).strip() + "\n"


def render_pdf_pages(pdf: Path, out_dir: Path, stem: str, dpi: int = OCR_DPI) -> list[str]:
    """Each page rendered the way the pipeline renders it for OCR, saved as PNG at ``dpi``."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(pdf))
    paths = []
    try:
        for i in range(len(doc)):
            image = doc[i].render(scale=dpi / 72, may_draw_forms=False).to_pil()
            path = out_dir / f"{stem}-p{i + 1:02d}.png"
            image.save(path, dpi=(dpi, dpi))
            paths.append(str(path))
    finally:
        doc.close()
    return paths


def split_document(text: str) -> tuple[str, str, str]:
    """(header, body, closing) of a document by the pipeline's own layout stage."""
    from pipeline import run_state

    state = run_state(b"", text=text)
    lines = state.lines
    start = state.header_end if state.header_end > 0 else state.body_start
    a = lines[start].seg.start if start < len(lines) else 0
    b = lines[state.body_end].seg.start if 0 < state.body_end < len(lines) else len(state.text)
    if b <= a:
        a, b = 0, len(state.text)
    return state.text[:a], state.text[a:b], state.text[b:]


def build_corpus(
    config: BenchConfig, out_root: Path, corpus: Path, log: Callable[[str], None]
) -> BenchCorpus:
    """Make the bench corpus under ``out_root`` (or return the cached one with the same key)."""
    key = corpus_key(config, corpus)
    root = out_root / f"corpus-{'quick-' if config.quick else ''}{key}"
    cached = BenchCorpus.load(root)
    if cached is not None and cached.key == key:
        log(f"corpus: cached in {root}")
        return cached
    for stale in out_root.glob(f"corpus-{'quick-' if config.quick else ''}*"):
        if stale.is_dir() and (config.quick or not stale.name.startswith("corpus-quick-")):
            shutil.rmtree(stale)
    for sub in ("text", "pdf", "scan", "size"):
        (root / sub).mkdir(parents=True)
    bc = BenchCorpus(root=str(root), key=key)
    entries = corpus_entries(corpus)
    rng = random.Random(20260915)

    # text documents: the sources as they are, then variants, in a shuffled order
    sources = [(e["id"], (corpus / e["file"]).read_bytes()) for e in entries if e["kind"] == "text"]
    from pipeline.readers.text import decode_bytes

    texts = {sid: decode_bytes(data)[0] for sid, data in sources}
    provinces, departments = _names()
    plan = list(range(config.docs))
    rng.shuffle(plan)
    for order, i in enumerate(plan):
        sid, data = sources[i % len(sources)]
        if i < len(sources):
            blob, done = data, ["original"]
        else:
            blob, done = make_variant(texts[sid], random.Random(i), provinces, departments)
        for d in done:
            bc.variants[d] = bc.variants.get(d, 0) + 1
        path = root / "text" / f"{order:04d}-{sid}.txt"
        path.write_bytes(blob)
        bc.text.append(str(path))
    log(f"corpus: {len(bc.text)} text documents from {len(sources)} sources")
    if config.text_only:
        bc.save()
        return bc

    # text PDFs: the corpus's own, then one laid out from each text document
    real_pdfs = [corpus / e["file"] for e in entries if e["kind"] == "pdf-text"]
    real_pdfs.sort(key=lambda p: p.stat().st_size)
    fixtures: Any = None
    try:
        fixtures = load_make_fixtures()
    except ImportError as e:
        bc.notes.append(f"no laid-out PDFs or simulated scans: {e}")
    try:
        import reportlab  # noqa: F401

        can_lay_out = fixtures is not None
    except ImportError:
        can_lay_out = False
        bc.notes.append("no laid-out PDFs: reportlab is not installed (pip install reportlab)")
    if config.pdfs is None:
        n_real, n_laid = len(real_pdfs), len(sources) if can_lay_out else 0
    else:
        n_laid = min(len(sources), config.pdfs // 2) if can_lay_out else 0
        n_real = min(len(real_pdfs), config.pdfs - n_laid)
    chosen: list[Path] = []
    for src in real_pdfs[:n_real]:
        chosen.append(root / "pdf" / src.name)
        shutil.copyfile(src, chosen[-1])
    for sid in sorted(texts, key=lambda s: len(texts[s]))[:n_laid]:
        chosen.append(root / "pdf" / f"laid-out-{sid}.pdf")
        fixtures.write_text_pdf(fixtures.layout_seed(text_to_seed(texts[sid])), chosen[-1])
    bc.pdf = [str(p) for p in chosen]
    log(f"corpus: {len(bc.pdf)} text PDFs ({n_laid} laid out from text documents)")

    # scans: real ones (fewest pages first), then simulated until there are enough pages
    import pypdfium2 as pdfium

    def page_count(p: Path) -> int:
        doc = pdfium.PdfDocument(str(p))
        try:
            return len(doc)
        finally:
            doc.close()

    scans = sorted(
        ((corpus / e["file"]) for e in entries if e["kind"] == "scan" and e["file"].endswith(".pdf")), key=lambda p: (page_count(p), p.name)
    )
    pages = 0
    for src in scans:
        if pages >= config.scan_pages:
            break
        dest = root / "scan" / src.name
        shutil.copyfile(src, dest)
        pngs = render_pdf_pages(dest, root / "scan", src.stem)
        bc.scans.append(ScanDoc(str(dest), pngs, True))
        pages += len(pngs)
    seeds = [texts[s] for s in sorted(texts, key=lambda s: len(texts[s]))]
    k = 0
    while pages < config.scan_pages and fixtures is not None:
        seed = fixtures.SEED if k == 0 else text_to_seed(seeds[(k - 1) % len(seeds)])
        stem = f"simulated-{k:02d}"
        layout = fixtures.layout_seed(seed)
        written = fixtures.make_scans(layout, root / "scan", stem, OCR_DPI, angle=0.7 if k % 2 else -0.5)
        pdf = next(p for p in written if p.suffix == ".pdf")
        for p in written:
            if p.suffix == ".png":
                p.unlink()
        pngs = render_pdf_pages(pdf, root / "scan", stem)
        bc.scans.append(ScanDoc(str(pdf), pngs, False))
        pages += len(pngs)
        k += 1
    if pages < config.scan_pages:
        bc.notes.append(f"only {pages} scanned pages (asked for {config.scan_pages})")
    log(f"corpus: {len(bc.scans)} scanned PDFs, {pages} pages ({k} simulated)")

    # one document at 1×, 10×, 100× its body
    size_id = SIZE_SOURCE if SIZE_SOURCE in texts else max(texts, key=lambda s: len(texts[s]))
    header, body, closing = split_document(texts[size_id])
    for f in config.size_factors:
        path = root / "size" / f"{size_id}-x{f}.txt"
        path.write_text(header + body * f + closing, encoding="utf-8")
        bc.sizes[str(f)] = str(path)
    bc.save()
    return bc


# ---------------------------------------------------------------------------
# workers (module level: they are pickled into spawned processes)


def _vm_hwm_mb() -> float | None:
    """Peak resident memory of this process's own address space (Linux VmHWM), MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError):
        pass
    return None


def _rss() -> dict[str, float]:
    """Peak resident memory of this process and of its largest finished child, MB.

    On Linux ``ru_maxrss`` also keeps the peak of the memory a process had before its
    last exec, so a spawned worker's RUSAGE_SELF reads at least the size of the parent
    that forked it, and a child's (RUSAGE_CHILDREN) at least this worker's size at the
    fork. ``self_mb`` is therefore VmHWM (this address space only) where there is one.
    """
    ru_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ru_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    hwm = _vm_hwm_mb()
    return {
        "pid": os.getpid(),
        "self_mb": hwm if hwm is not None else ru_self,
        "ru_maxrss_self_mb": ru_self,
        "children_mb": ru_children,
    }


def _init_worker(cpu: int | None, warm: str | None) -> None:
    """Pin to one CPU (children inherit it) and run the pipeline once so imports and data are loaded."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    if warm:
        from pipeline import run_state

        run_state(Path(warm))


def _ready(pause: float) -> int:
    time.sleep(pause)
    return os.getpid()


def _cpu() -> float:
    """CPU seconds of this process and its finished children (pdftotext, tesseract)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _one_doc(path: str, out_path: str | None, version: str) -> dict[str, Any]:
    """process_one, without the JSON text in the record, plus CPU seconds and this worker's memory."""
    from pipeline.batch import process_one

    c0 = _cpu()
    rec = process_one(path, out_path)
    rec["cpu_seconds"] = _cpu() - c0
    rec.pop("json", None)
    rec["rss"] = _rss()
    return rec


def _one_doc_args(args: tuple[str, str | None, str]) -> dict[str, Any]:
    return _one_doc(*args)


def pool_run(
    paths: list[str], out_dir: Path, workers: int, warm: str | None, cpu: int | None = None
) -> dict[str, Any]:
    """Extract ``paths`` in a pool of ``workers`` spawned processes (warmed up first).

    Returns wall seconds from the first submitted document to the last result, the
    per-document records, and each worker's peak memory.
    """
    from pipeline.batch import pipeline_version

    version = pipeline_version()
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker, initargs=(cpu, warm)) as pool:
        seen: set[int] = set()
        for _ in range(50):  # until every worker has started and warmed up
            seen |= set(pool.map(_ready, [0.05] * workers))
            if len(seen) >= workers:
                break
        jobs = [(p, str(out_dir / f"{Path(p).stem}.json"), version) for p in paths]
        t0 = time.perf_counter()
        records = list(pool.map(_one_doc_args, jobs, chunksize=4 if len(jobs) > 16 * workers else 1))
        wall = time.perf_counter() - t0
    peaks: dict[int, dict[str, float]] = {}
    for r in records:
        rss = r["rss"]
        peak = peaks.setdefault(rss["pid"], {"self_mb": 0.0, "ru_maxrss_self_mb": 0.0, "children_mb": 0.0})
        for k in peak:
            peak[k] = max(peak[k], rss[k])
    return {"wall": wall, "records": records, "workers": list(peaks.values())}


def in_worker(fn: Callable[..., dict[str, Any]], *args: Any, cpu: int | None = None) -> dict[str, Any]:
    """Run ``fn(*args)`` in a fresh spawned process (pinned to ``cpu`` when given)."""
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=ctx, initializer=_init_worker, initargs=(cpu, None)) as pool:
        return pool.submit(fn, *args).result()


def _timed_each(paths: list[str], fn: Callable[[str], Any], warm: str | None = None) -> dict[str, Any]:
    if warm:
        fn(warm)
    seconds, cpu = [], []
    for p in paths:
        t0, c0 = time.perf_counter(), _cpu()
        fn(p)
        seconds.append(time.perf_counter() - t0)
        cpu.append(_cpu() - c0)
    return {"seconds": seconds, "cpu_seconds": cpu, "rss": _rss()}


# the floor of any text pipeline: Unicode NFC and one regular-expression pass (words) over the text
_FLOOR_PATTERN = re.compile(r"\w+")


def baseline_nfc_regex(paths: list[str]) -> dict[str, Any]:
    """NFC + one regex pass in Python per text file (bytes read and decoded, as a script would)."""

    def one(p: str) -> None:
        text = unicodedata.normalize("NFC", decode_for_baseline(Path(p).read_bytes()))
        _FLOOR_PATTERN.findall(text)

    return _timed_each(paths, one, warm=paths[0] if paths else None)


def _process_cpu(cmd: list[str], cwd: str) -> float:
    """CPU seconds (user + system) of a whole process and the processes it waited for."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def startup_figures(small: str, work: Path, runs: int) -> dict[str, Any]:
    """CPU seconds of a whole ``congvan extract SMALL --out DIR`` process against
    ``python -c "import pipeline"`` (medians of ``runs`` each, taken in turns)."""
    congvan = [sys.executable, "-m", "pipeline.cli", "extract"]
    extract, imports = [], []
    for k in range(max(1, runs)):
        out = work / f"startup-{k}"
        extract.append(_process_cpu([*congvan, small, "--out", str(out), "-q", "--force"], str(ROOT)))
        imports.append(_process_cpu([sys.executable, "-c", "import pipeline"], str(ROOT)))
    e, i = statistics.median(extract), statistics.median(imports)
    return {"runs": len(extract), "extract_cpu_s": e, "import_cpu_s": i, "ratio": _ratio(e, i), "file": Path(small).name}


def _pdfplumber_one(path: str) -> None:
    import pdfplumber

    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            page.extract_text()


def baseline_pdfplumber(paths: list[str]) -> dict[str, Any]:
    """pdfplumber alone: open, extract_text on every page."""
    return _timed_each(paths, _pdfplumber_one, warm=paths[0] if paths else None)


def _pdftotext_one(path: str) -> None:
    subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", path, "-"], capture_output=True, check=True)


def baseline_pdftotext(paths: list[str]) -> dict[str, Any]:
    """pdftotext alone: one ``pdftotext -layout FILE -`` per PDF."""
    return _timed_each(paths, _pdftotext_one, warm=paths[0] if paths else None)


def baseline_underthesea(paths: list[str]) -> dict[str, Any]:
    """underthesea word_tokenize over each text file (decoding not timed)."""
    from underthesea import word_tokenize

    texts = [decode_for_baseline(Path(p).read_bytes()) for p in paths]
    if texts:
        word_tokenize(texts[0])
    seconds, cpu = [], []
    for t in texts:
        t0, c0 = time.perf_counter(), _cpu()
        word_tokenize(t)
        seconds.append(time.perf_counter() - t0)
        cpu.append(_cpu() - c0)
    return {"seconds": seconds, "cpu_seconds": cpu, "rss": _rss()}


def tesseract_env(one_thread: bool) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("OMP_THREAD_LIMIT", None)
    if one_thread:
        env["OMP_THREAD_LIMIT"] = "1"
    return env


def baseline_tesseract(pngs: list[str], one_thread: bool = True, warm: bool = True) -> dict[str, Any]:
    """``tesseract IMG - -l vie`` per page image, sequentially (one warm-up run first when ``warm``)."""
    env = tesseract_env(one_thread)

    def one(p: str) -> None:
        subprocess.run(["tesseract", p, "-", "-l", "vie"], capture_output=True, env=env, check=True)

    return _timed_each(pngs, one, warm=pngs[0] if pngs and warm else None)


def pipeline_files(paths: list[str], out_dir: str, warm: str | None = None) -> dict[str, Any]:
    """The pipeline (batch.process_one, JSON written) on each file in turn, in this process."""
    from pipeline.batch import pipeline_version

    version = pipeline_version()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if warm:
        _one_doc(warm, str(Path(out_dir) / "warm-up.json"), version)
    records = [_one_doc(p, str(Path(out_dir) / f"{Path(p).stem}.json"), version) for p in paths]
    return {"records": records, "rss": _rss()}


def pipeline_sizes(paths: dict[str, str], budget_s: float = 20.0) -> dict[str, Any]:
    """Seconds per document for each size, repeated (median) while the repeats stay under ``budget_s``."""
    from pipeline import run_state

    rows = []
    first = next(iter(paths.values()))
    run_state(Path(first))
    for factor, path in sorted(paths.items(), key=lambda kv: int(kv[0])):
        runs: list[float] = []
        stages: dict[str, float] = {}
        spent = 0.0
        while len(runs) < 15 and (spent < budget_s / len(paths) or len(runs) < 1):
            t0 = time.perf_counter()
            state = run_state(Path(path))
            runs.append(time.perf_counter() - t0)
            spent += runs[-1]
            for k, v in state.timings.items():
                stages[k] = stages.get(k, 0.0) + v
        n = len(runs)
        rows.append(
            {
                "factor": int(factor),
                "bytes": Path(path).stat().st_size,
                "runs": n,
                "seconds": statistics.median(runs),
                "stages": {k: v / n for k, v in stages.items()},
                "status": state.document.status if state.document is not None else "failed",
            }
        )
    return {"rows": rows, "rss": _rss()}


# ---------------------------------------------------------------------------
# summaries


def stage_table(records: Iterable[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Sum of per-stage seconds; share among the top-level stages (``read:*`` are parts of read)."""
    sums: dict[str, float] = {}
    for r in records:
        for k, v in (r.get("timings") or {}).items():
            sums[k] = sums.get(k, 0.0) + v
    top = sum(v for k, v in sums.items() if ":" not in k) or 1.0
    return {k: {"seconds": v, "share": v / top} for k, v in sorted(sums.items(), key=lambda kv: -kv[1])}


def statuses(records: Iterable[dict[str, Any]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for r in records:
        out[r["status"]] = out.get(r["status"], 0) + 1
    return out


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(q * len(s)))]


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def machine_info() -> dict[str, Any]:
    def version(cmd: list[str]) -> str | None:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        text = (out.stdout or out.stderr).strip().splitlines()
        return text[0] if text else None

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    libs: dict[str, str | None] = {}
    for name in ("pdfplumber", "pypdfium2", "underthesea", "pydantic"):
        try:
            from importlib.metadata import version as dist_version

            libs[name] = dist_version(name)
        except Exception:  # noqa: BLE001 - a missing library is just not listed
            libs[name] = None
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {
        "load_average_at_start": load,
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": mem,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "tesseract": version(["tesseract", "--version"]),
        "pdftotext": version(["pdftotext", "-v"]),
        "libraries": libs,
    }


def git_commit(root: Path = ROOT) -> dict[str, Any]:
    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(dirty) if dirty is not None else None}


# ---------------------------------------------------------------------------
# the run


def run_bench(
    config: BenchConfig,
    out: Path,
    *,
    corpus: Path = ROOT / "corpus",
    log: Callable[[str], None] = lambda m: print(m, file=sys.stderr, flush=True),
) -> dict[str, Any]:
    """Build or read the corpus, run every measurement, write ``out`` (JSON) and return the results."""
    from pipeline.batch import pipeline_version

    started = time.time()
    t_start = time.perf_counter()
    work = out.parent
    bc = build_corpus(config, work, corpus, log)
    runs = work / "runs"
    if runs.exists():
        shutil.rmtree(runs)
    runs.mkdir(parents=True)
    res: dict[str, Any] = {
        **git_commit(),
        "pipeline_version": pipeline_version(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "config": asdict(config),
        "machine": machine_info(),
        "corpus": {"dir": bc.root, "notes": bc.notes, "variants": bc.variants},
    }
    tesseract = shutil.which("tesseract") is not None
    pdftotext = shutil.which("pdftotext") is not None
    warm_text = bc.text[0] if bc.text else None

    # text documents: one worker, then two
    log(f"text: {len(bc.text)} documents, 1 worker")
    one = pool_run(bc.text, runs / "text-1", 1, warm_text)
    two = None
    if not config.text_only:
        log(f"text: {len(bc.text)} documents, 2 workers")
        two = pool_run(bc.text, runs / "text-2", 2, warm_text)
    recs = one["records"]
    timed = recs[config.warmup :] if len(recs) > config.warmup else recs
    per_doc = [r["seconds"] for r in timed]
    pipe_only = [sum(v for k, v in (r.get("timings") or {}).items() if ":" not in k) for r in timed]
    text_bytes = sum(Path(p).stat().st_size for p in bc.text)
    timed_bytes = sum(Path(r["path"]).stat().st_size for r in timed)
    res["text"] = {
        "docs": len(recs),
        "warmup_excluded": len(recs) - len(timed),
        "mb": text_bytes / 1e6,
        "docs_per_s": len(timed) / sum(per_doc) if per_doc else 0.0,
        "docs_per_cpu_s": len(timed) / cpu_doc if (cpu_doc := sum(r["cpu_seconds"] for r in timed)) else 0.0,
        "docs_per_s_pipeline_only": len(timed) / sum(pipe_only) if pipe_only else 0.0,
        "mb_per_s": timed_bytes / 1e6 / sum(per_doc) if per_doc else 0.0,
        "ms_per_doc_median": 1000 * statistics.median(per_doc) if per_doc else 0.0,
        "ms_per_doc_p95": 1000 * _pct(per_doc, 0.95),
        "ms_per_doc_max": 1000 * max(per_doc, default=0.0),
        "slowest": sorted(
            ({"path": Path(r["path"]).name, "ms": 1000 * r["seconds"]} for r in timed), key=lambda x: -x["ms"]
        )[:5],
        "wall_docs_per_s_1_worker": len(recs) / one["wall"] if one["wall"] else 0.0,
        "status": statuses(recs),
        "stages": stage_table(timed),
    }
    memory: dict[str, Any] = {"text_1_worker": one["workers"]}
    if two is not None:
        res["scaling_workers"] = {
            "docs": len(recs),
            "wall_1": one["wall"],
            "wall_2": two["wall"],
            "docs_per_s_1": len(recs) / one["wall"] if one["wall"] else 0.0,
            "docs_per_s_2": len(recs) / two["wall"] if two["wall"] else 0.0,
            "speedup": _ratio(one["wall"], two["wall"]),
            # CPU seconds the workers got / (wall × workers): below 1 means they waited for a CPU
            "cpu_use_1": _ratio(sum(r["cpu_seconds"] for r in recs), one["wall"]),
            "cpu_use_2": _ratio(sum(r["cpu_seconds"] for r in two["records"]), 2 * two["wall"]),
        }
        memory["text_2_workers"] = two["workers"]

    log("baseline: NFC + one regex pass over the text documents")
    floor = in_worker(baseline_nfc_regex, bc.text)
    skip = len(floor["cpu_seconds"]) - len(timed)
    floor_cpu = sum(floor["cpu_seconds"][skip:])
    res["baselines"] = {
        "nfc_regex": {
            "docs": len(timed),
            "docs_per_cpu_s": len(timed) / floor_cpu if floor_cpu else 0.0,
            "pipeline_over_baseline_cpu": _ratio(sum(r["cpu_seconds"] for r in timed), floor_cpu),
        }
    }
    if bc.text:
        small = min(bc.text[: max(1, len(bc.text) // 4)], key=lambda p: Path(p).stat().st_size)
        log(f"start-up: congvan extract {Path(small).name} vs python -c 'import pipeline', {config.startup_runs} runs each")
        res["startup"] = startup_figures(small, runs, config.startup_runs)
    if config.text_only:
        return _finish(res, memory, out, t_start)

    log("baseline: underthesea word_tokenize on the text documents")
    try:
        und = in_worker(baseline_underthesea, bc.text)
        und_timed = und["seconds"][config.warmup :] if len(und["seconds"]) > config.warmup else und["seconds"]
        res["baselines"]["underthesea_word_tokenize"] = {
                "docs": len(und_timed),
                "docs_per_s": len(und_timed) / sum(und_timed) if und_timed else 0.0,
                "pipeline_over_baseline": _ratio(sum(per_doc), sum(und_timed)),
                "pipeline_over_baseline_cpu": _ratio(
                    sum(r["cpu_seconds"] for r in timed),
                    sum(und["cpu_seconds"][len(und["seconds"]) - len(und_timed) :]),
                ),
                "rss_mb": und["rss"]["self_mb"],
        }
    except Exception as e:  # noqa: BLE001 - a missing baseline is reported, not fatal
        res["baselines"]["underthesea_word_tokenize"] = {"error": f"{type(e).__name__}: {e}"}

    # text PDFs
    log(f"text PDFs: {len(bc.pdf)} files")
    pdf = in_worker(pipeline_files, bc.pdf, str(runs / "pdf"), bc.pdf[0] if bc.pdf else None)
    precs = pdf["records"]
    pdf_pages = sum(r.get("pages", 0) or 0 for r in precs)
    pdf_seconds = sum(r["seconds"] for r in precs)
    res["pdf"] = {
        "docs": len(precs),
        "pages": pdf_pages,
        "pages_per_s": pdf_pages / pdf_seconds if pdf_seconds else 0.0,
        "s_per_page": pdf_seconds / pdf_pages if pdf_pages else 0.0,
        "pages_per_cpu_s": pdf_pages / pdf_cpu if (pdf_cpu := sum(r["cpu_seconds"] for r in precs)) else 0.0,
        "ocr_docs": sum(1 for r in precs if r.get("ocr")),
        "status": statuses(precs),
        "stages": stage_table(precs),
        "per_doc": [
            {"path": Path(r["path"]).name, "pages": r.get("pages"), "s": r["seconds"]} for r in precs
        ],
    }
    memory["pdf"] = [pdf["rss"]]
    for name, fn, needed in (
        ("pdfplumber_extract_text", baseline_pdfplumber, True),
        ("pdftotext_layout", baseline_pdftotext, pdftotext),
    ):
        log(f"baseline: {name}")
        if not needed:
            res["baselines"][name] = {"error": "not installed"}
            continue
        try:
            b = in_worker(fn, bc.pdf)
            s = sum(b["seconds"])
            res["baselines"][name] = {
                "pages": pdf_pages,
                "pages_per_s": pdf_pages / s if s else 0.0,
                "pipeline_over_baseline": _ratio(pdf_seconds, s),
                "pipeline_over_baseline_cpu": _ratio(pdf_cpu, sum(b["cpu_seconds"])),
                "rss_mb": b["rss"]["self_mb"],
                "rss_children_mb": b["rss"]["children_mb"],
            }
        except Exception as e:  # noqa: BLE001
            res["baselines"][name] = {"error": f"{type(e).__name__}: {e}"}

    # scanned pages, pipeline and bare tesseract each pinned to the same CPU
    pngs = [p for s in bc.scans for p in s.pages]
    if tesseract and bc.scans:
        cpu = 0
        scan_pdfs = [s.pdf for s in bc.scans]
        warm_scan = min(bc.scans, key=lambda s: len(s.pages)).pdf
        log(f"scans: pipeline on {len(pngs)} pages in {len(scan_pdfs)} PDFs (1 CPU)")
        sp = in_worker(pipeline_files, scan_pdfs, str(runs / "scan"), warm_scan, cpu=cpu)
        log(f"scans: bare tesseract on {len(pngs)} pages (OMP_THREAD_LIMIT=1, 1 CPU)")
        bare = in_worker(baseline_tesseract, pngs, True, cpu=cpu)
        k = min(config.default_thread_pages, len(pngs))
        log(f"scans: bare tesseract with its default threads on {k} pages")
        bare_default = in_worker(baseline_tesseract, pngs[:k], False, False)
        srecs = sp["records"]
        s_pages = sum(r.get("pages", 0) or 0 for r in srecs)
        s_seconds = sum(r["seconds"] for r in srecs)
        bare_s = sum(bare["seconds"])
        per_page = [r["seconds"] / r["pages"] for r in srecs if r.get("pages")]
        ocr_per_page = [
            r["timings"].get("read:ocr", 0.0) / r["pages"]
            for r in srecs
            if r.get("pages") and r.get("timings")
        ]
        res["scan"] = {
            "docs": len(srecs),
            "pages": s_pages,
            "real_pages": sum(len(s.pages) for s in bc.scans if s.real),
            "pipeline_s_per_page": s_seconds / s_pages if s_pages else 0.0,
            "pipeline_pages_per_s": s_pages / s_seconds if s_seconds else 0.0,
            "bare_s_per_page": bare_s / len(pngs) if pngs else 0.0,
            "ratio_pipeline_over_bare": _ratio(s_seconds, bare_s),
            "ratio_pipeline_over_bare_cpu": _ratio(
                sum(r["cpu_seconds"] for r in srecs), sum(bare["cpu_seconds"])
            ),
            "pipeline_cpu_s_per_page": sum(r["cpu_seconds"] for r in srecs) / s_pages if s_pages else 0.0,
            "bare_cpu_s_per_page": sum(bare["cpu_seconds"]) / len(pngs) if pngs else 0.0,
            "median_pipeline_s_per_page": statistics.median(per_page) if per_page else 0.0,
            "median_pipeline_ocr_s_per_page": statistics.median(ocr_per_page) if ocr_per_page else 0.0,
            "median_bare_s_per_page": statistics.median(bare["seconds"]) if pngs else 0.0,
            "bare_default_threads_pages": k,
            "median_bare_default_threads_s_per_page": statistics.median(bare_default["seconds"])
            if k
            else 0.0,
            "bare_1_thread_same_pages_s_per_page": sum(bare["seconds"][:k]) / k if k else 0.0,
            "status": statuses(srecs),
            "stages": stage_table(srecs),
        }
        res["baselines"]["tesseract_cli"] = {
            "pages": len(pngs),
            "pages_per_s": len(pngs) / bare_s if bare_s else 0.0,
            "pipeline_over_baseline": res["scan"]["ratio_pipeline_over_bare"],
            "rss_children_mb": bare["rss"]["children_mb"],
        }
        memory["scan"] = [sp["rss"]]
    else:
        res["scan"] = {"skipped": "tesseract is not installed" if not tesseract else "no scanned pages"}

    # document size
    log(f"size: {', '.join(f'{f}×' for f in config.size_factors)}")
    sz = in_worker(pipeline_sizes, bc.sizes, config.size_budget_s)
    rows = sz["rows"]
    for r in rows:
        r["s_per_mb"] = r["seconds"] / (r["bytes"] / 1e6)
    exponent = None
    stage_exponents: dict[str, float] = {}
    if len(rows) >= 2:
        a, b = rows[-2], rows[-1]
        grow = math.log(b["bytes"] / a["bytes"])
        exponent = math.log(b["seconds"] / a["seconds"]) / grow
        for k, v in b["stages"].items():
            if ":" not in k and v > 0.01 * b["seconds"] and a["stages"].get(k, 0) > 0:
                stage_exponents[k] = math.log(v / a["stages"][k]) / grow
    res["scaling_size"] = {
        "source": Path(next(iter(bc.sizes.values()))).name,
        "rows": rows,
        "exponent_last_two": exponent,
        "stage_exponents": stage_exponents,
    }
    memory["size"] = [sz["rss"]]

    return _finish(res, memory, out, t_start)


def _finish(res: dict[str, Any], memory: dict[str, Any], out: Path, t_start: float) -> dict[str, Any]:
    """Memory summary, targets, total time; the JSON written to ``out``."""
    base = res["baselines"]
    res["memory"] = {
        "peak_worker_mb": max((w["self_mb"] for ws in memory.values() for w in ws), default=0.0),
        "peak_worker_ru_maxrss_mb": max(
            (w["ru_maxrss_self_mb"] for ws in memory.values() for w in ws), default=0.0
        ),
        "subprocess_mb": {
            "tesseract": base.get("tesseract_cli", {}).get("rss_children_mb"),
            "pdftotext": base.get("pdftotext_layout", {}).get("rss_children_mb"),
        },
        "by_run": memory,
    }
    res["targets"] = targets(res)
    res["seconds_total"] = time.perf_counter() - t_start
    try:
        res["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        pass
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, ensure_ascii=False, indent=1), encoding="utf-8")
    return res


def targets(res: dict[str, Any]) -> list[dict[str, Any]]:
    """The figures of issue 5, each with its value and whether it is met."""
    t = TARGETS
    scan = res.get("scan", {})
    pdf_cpu = res.get("baselines", {}).get("pdftotext_layout", {}).get("pipeline_over_baseline_cpu")
    rows = [
        ("text docs/s per worker", ">=", t["text_docs_per_s"], res["text"]["docs_per_s"]),
        ("start-up CPU s (one small file)", "<=", t["startup_cpu_s"], res.get("startup", {}).get("extract_cpu_s")),
        ("text PDF / pdftotext (pages per CPU-s)", ">=", t["pdf_over_pdftotext_cpu"], 1 / pdf_cpu if pdf_cpu else None),
        ("scan CPU / bare tesseract", "<=", t["scan_cpu_ratio"], scan.get("ratio_pipeline_over_bare_cpu")),
        ("text PDF pages/s per worker", ">=", t["pdf_pages_per_s"], res.get("pdf", {}).get("pages_per_s")),
        ("scan pipeline / bare tesseract", "<=", t["scan_ratio"], scan.get("ratio_pipeline_over_bare")),
        ("2 workers / 1 worker", ">=", t["speedup_2_workers"], res.get("scaling_workers", {}).get("speedup")),
        ("peak MB per worker", "<=", t["peak_mb"], res["memory"]["peak_worker_mb"]),
        ("size exponent (10×→100×)", "<=", t["size_exponent"], res.get("scaling_size", {}).get("exponent_last_two")),
    ]
    out = []
    for name, op, target, value in rows:
        met = None if value is None else (value >= target if op == ">=" else value <= target)
        out.append({"name": name, "target": f"{op} {target:g}", "value": value, "met": met})
    return out


# ---------------------------------------------------------------------------
# the table


def _f(v: Any, digits: int = 2) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def _stages_lines(stages: dict[str, dict[str, float]], limit: int = 14) -> list[str]:
    lines = [f"    {'stage':<18}{'seconds':>10}{'share':>8}"]
    for name, s in list(stages.items())[:limit]:
        share = f"{100 * s['share']:.1f}%" if ":" not in name else f"({100 * s['share']:.1f}%)"
        lines.append(f"    {name:<18}{s['seconds']:>10.2f}{share:>8}")
    return lines


def summary_lines(res: dict[str, Any]) -> list[str]:
    """Each figure beside its baseline measured in the same run, and their ratio."""
    b = res.get("baselines", {})
    rows: list[tuple[str, str, str, str]] = []
    t = res["text"]
    floor = b.get("nfc_regex", {})
    if floor:
        ratio = _ratio(floor.get("docs_per_cpu_s") or 0.0, t["docs_per_cpu_s"])
        rows.append(("text documents", f"{t['docs_per_cpu_s']:.1f} docs/CPU-s", f"NFC + one regex pass: {floor['docs_per_cpu_s']:.0f} docs/CPU-s", f"{_f(ratio, 1)}× slower"))
    st = res.get("startup")
    if st:
        rows.append(("start-up, one small file", f"{st['extract_cpu_s']:.2f} CPU-s", f"python -c 'import pipeline': {st['import_cpu_s']:.2f} CPU-s", f"{_f(st['ratio'], 1)}×"))
    pdf, pt = res.get("pdf"), b.get("pdftotext_layout", {})
    if pdf and pt.get("pipeline_over_baseline_cpu"):
        bare = pdf["pages_per_cpu_s"] * pt["pipeline_over_baseline_cpu"]
        rows.append(("text PDFs", f"{pdf['pages_per_cpu_s']:.1f} pages/CPU-s", f"pdftotext -layout: {bare:.1f} pages/CPU-s", f"{1 / pt['pipeline_over_baseline_cpu']:.2f}× its throughput"))
    scan = res.get("scan", {})
    if scan.get("ratio_pipeline_over_bare_cpu"):
        rows.append((
            "scanned pages",
            f"{_f(scan.get('pipeline_cpu_s_per_page'))} CPU-s/page",
            f"tesseract CLI, same renders: {_f(scan.get('bare_cpu_s_per_page'))} CPU-s/page",
            f"{scan['ratio_pipeline_over_bare_cpu']:.3f}× its CPU",
        ))
    mem = res.get("memory", {})
    rows.append(("memory", f"{mem.get('peak_worker_mb', 0.0):.0f} MB peak per worker", "(batch parent: scripts/batch_memory.py)", ""))
    out = ["FIGURES AGAINST BASELINES (same run, same machine; CPU time: the machine is shared)"]
    for name, value, baseline, times in rows:
        out.append(f"  {name:<26}{value:<24}{baseline:<48}{times}")
    return [*out, ""]


def format_report(res: dict[str, Any], show_targets: bool = False) -> str:
    """The results as a readable table."""
    m = res["machine"]
    commit = (res.get("commit") or "unknown")[:12] + (" (uncommitted changes)" if res.get("dirty") else "")
    lines = [
        f"congvan bench — commit {commit}, pipeline {res['pipeline_version']}",
        f"{m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Python {m['python']}, {m['tesseract']}",
        f"load average at start {m.get('load_average_at_start')}, at end {m.get('load_average_at_end')}"
        " (other work on the machine skews every figure)",
        "",
    ]
    lines += summary_lines(res)
    t = res["text"]
    b = res.get("baselines", {})
    und = b.get("underthesea_word_tokenize", {})
    lines += [
        f"TEXT DOCUMENTS  {t['docs']} files, {t['mb']:.1f} MB, first {t['warmup_excluded']} excluded (warm-up); status {t['status']}",
        f"  pipeline            {_f(t['docs_per_s'], 1):>8} docs/s per worker  ({_f(t['mb_per_s'])} MB/s; median {_f(t['ms_per_doc_median'], 1)} ms, p95 {_f(t['ms_per_doc_p95'], 1)} ms, max {_f(t['ms_per_doc_max'], 0)} ms)",
        f"  stages only         {_f(t['docs_per_s_pipeline_only'], 1):>8} docs/s   (without JSON dump + write)",
        f"  by CPU time         {_f(t['docs_per_cpu_s'], 1):>8} docs per CPU-second",
        f"  underthesea tokenize{_f(und.get('docs_per_s'), 1):>8} docs/s   pipeline/baseline time {_f(und.get('pipeline_over_baseline'))}×"
        f" (CPU {_f(und.get('pipeline_over_baseline_cpu'))}×)",
        "  slowest: " + ", ".join(f"{s['path']} {s['ms']:.0f} ms" for s in t["slowest"]),
        *_stages_lines(t["stages"]),
        "",
    ]
    if "pdf" not in res:  # --text-only
        lines.append(f"{res['seconds_total']:.0f} s in all")
        return "\n".join(lines)
    p = res["pdf"]
    lines += [
        f"TEXT PDFs  {p['docs']} files, {p['pages']} pages; status {p['status']}",
        f"  pipeline            {_f(p['pages_per_s'], 1):>8} pages/s per worker ({_f(1000 * p['s_per_page'], 1)} ms/page;"
        f" {_f(p['pages_per_cpu_s'], 1)} pages per CPU-second incl. pdftotext)",
    ]
    for name in ("pdfplumber_extract_text", "pdftotext_layout"):
        bb = b.get(name, {})
        lines.append(
            f"  {name:<20}{_f(bb.get('pages_per_s'), 1):>8} pages/s   pipeline/baseline time {_f(bb.get('pipeline_over_baseline'))}×"
            f" (CPU {_f(bb.get('pipeline_over_baseline_cpu'))}×)"
            + (f"  [{bb['error']}]" if "error" in bb else "")
        )
    lines += [*_stages_lines(p["stages"]), ""]
    s = res["scan"]
    if "skipped" in s:
        lines += [f"SCANNED PAGES  skipped: {s['skipped']}", ""]
    else:
        lines += [
            f"SCANNED PAGES  {s['pages']} pages in {s['docs']} PDFs ({s['real_pages']} real, the rest simulated); 300 dpi; 1 CPU each side; status {s['status']}",
            f"  pipeline            {_f(s['pipeline_s_per_page'])} s/page  (median {_f(s['median_pipeline_s_per_page'])}; its tesseract part median {_f(s['median_pipeline_ocr_s_per_page'])} s/page)",
            f"  tesseract CLI       {_f(s['bare_s_per_page'])} s/page  (median {_f(s['median_bare_s_per_page'])}; OMP_THREAD_LIMIT=1)",
            f"  pipeline / bare     {_f(s['ratio_pipeline_over_bare'], 3)}×   (CPU time incl. tesseract: {_f(s['ratio_pipeline_over_bare_cpu'], 3)}×)",
            f"  tesseract default threads: median {_f(s['median_bare_default_threads_s_per_page'])} s/page on {s['bare_default_threads_pages']} pages"
            f" (1 thread on the same pages: {_f(s['bare_1_thread_same_pages_s_per_page'])} s/page)",
            *_stages_lines(s["stages"]),
            "",
        ]
    w = res["scaling_workers"]
    lines += [
        f"SCALING  workers (text set, {w['docs']} docs, wall clock incl. JSON writes)",
        f"  1 worker  {_f(w['wall_1'], 1):>7} s  {_f(w['docs_per_s_1'], 1):>7} docs/s",
        f"  2 workers {_f(w['wall_2'], 1):>7} s  {_f(w['docs_per_s_2'], 1):>7} docs/s   speed-up {_f(w['speedup'])}×",
        f"  CPU the workers got: {_f(w['cpu_use_1'])} of 1 CPU with 1 worker, {_f(w['cpu_use_2'])} of each CPU with 2",
        f"  document size ({res['scaling_size']['source']}: one header and closing, the body repeated)",
        f"    {'factor':>6}{'KB':>10}{'runs':>6}{'s/doc':>10}{'s/MB':>9}  slowest stages",
    ]
    for r in res["scaling_size"]["rows"]:
        top = sorted(((k, v) for k, v in r["stages"].items() if ":" not in k), key=lambda kv: -kv[1])[:3]
        lines.append(
            f"    {r['factor']:>5}×{r['bytes'] / 1e3:>10.1f}{r['runs']:>6}{r['seconds']:>10.3f}{r['s_per_mb']:>9.2f}  "
            + ", ".join(f"{k} {v:.3f}" for k, v in top)
        )
    lines.append(
        f"    time ∝ size^{_f(res['scaling_size']['exponent_last_two'])} between the two largest; by stage: "
        + ", ".join(
            f"{k} ^{v:.2f}"
            for k, v in sorted(res["scaling_size"].get("stage_exponents", {}).items(), key=lambda kv: -kv[1])
        )
    )
    mem = res["memory"]
    lines += [
        "",
        f"MEMORY  peak per pipeline worker {mem['peak_worker_mb']:.0f} MB (VmHWM; getrusage ru_maxrss {mem['peak_worker_ru_maxrss_mb']:.0f} MB,"
        " which on Linux includes the parent's memory at fork)",
        "  by run: "
        + "; ".join(f"{k} " + ", ".join(f"{x['self_mb']:.0f}" for x in v) for k, v in mem["by_run"].items()),
        "  subprocesses (RUSAGE_CHILDREN of a small worker): "
        + ", ".join(f"{k} {_f(v, 0)} MB" for k, v in mem["subprocess_mb"].items()),
    ]
    if show_targets:
        lines += ["", "DEVELOPMENT TARGETS"]
        for tg in res["targets"]:
            mark = {True: "ok  ", False: "MISS", None: "n/a "}[tg["met"]]
            lines.append(f"  {mark} {tg['name']:<32} {_f(tg['value']):>8}  (target {tg['target']})")
    lines.append(f"\n{res['seconds_total']:.0f} s in all")
    return "\n".join(lines)
