"""SOURCE and DEST given as fsspec URLs (issue 15): ``file://`` (and fsspec's
``local://``) name a local path, read as that path; other stores (``s3://``,
``gs://`` …) are not read or written directly yet: mount them (s3fs, gcsfuse,
an NFS share) and give the mounted path, which every Dask worker then sees.
"""

from __future__ import annotations

import re

_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


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
