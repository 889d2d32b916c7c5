"""SOURCE and DEST given as fsspec URLs (issue 15): ``file://`` (and fsspec's
``local://``) name a local path, read as that path; an object store
(``s3://bucket/prefix``, with ``pip install "congvan[s3]"``) is read and
written through fsspec by the workers themselves (pipeline/stores.py).
"""

from __future__ import annotations

import re

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


_LOCAL = ("file://", "local://")


def is_store_url(arg: str) -> bool:
    """Whether ``arg`` names an object in a store (a URL that is not file:// or local://)."""
    return bool(_URL.match(arg)) and not arg.lower().startswith(_LOCAL)


class LocationError(ValueError):
    """A URL congvan cannot read or write (the command stops with exit code 2)."""


def local_path(arg: str, what: str) -> str:
    """The local path ``arg`` names: itself when it is no URL, the path of a
    ``file://`` URL (as fsspec reads it), LocationError for any other store."""
    if not _URL.match(arg):
        return arg
    try:
        from fsspec.core import url_to_fs
        from fsspec.implementations.local import LocalFileSystem
    except ImportError:
        raise LocationError(f"{what} {arg}: URLs need fsspec: pip install \"congvan[dask]\"") from None
    try:
        fs, path = url_to_fs(arg)
    except (ImportError, ValueError) as e:
        fs, path = None, str(e)
    if isinstance(fs, LocalFileSystem):
        return str(path)
    protocol = arg.split("://", 1)[0]
    raise LocationError(
        f"{what} {arg}: {protocol}:// is not read or written directly (only local paths and file:// URLs); "
        "mount the store (s3fs, gcsfuse, NFS …) and give the mounted path"
    )


def resolve(arg: str, what: str) -> str:
    """A local path for a path or a ``file://`` URL (:func:`local_path`); the URL
    itself for a store fsspec can open (``s3://`` with s3fs installed);
    LocationError when fsspec knows no such store or its package is missing."""
    if not is_store_url(arg):
        return local_path(arg, what)
    protocol = arg.split("://", 1)[0].lower()
    try:
        from fsspec.registry import get_filesystem_class
    except ImportError:
        raise LocationError(f"{what} {arg}: URLs need fsspec: pip install \"congvan[s3]\"") from None
    try:
        get_filesystem_class(protocol)
    except ImportError:
        extra = "s3" if protocol in ("s3", "s3a") else None
        hint = f'pip install "congvan[{extra}]"' if extra else f"install the fsspec package for {protocol}://"
        raise LocationError(f"{what} {arg}: {protocol}:// needs a package that is not installed: {hint}") from None
    except ValueError:
        raise LocationError(f"{what} {arg}: {protocol}:// is not a store congvan knows (s3://, file:// or a local path)") from None
    if protocol not in ("s3", "s3a"):
        raise LocationError(
            f"{what} {arg}: {protocol}:// is not read or written directly (only local paths, file:// and s3:// URLs); "
            "mount the store (gcsfuse, NFS …) and give the mounted path"
        )
    return arg
