"""Solara's front-end files for offline use: fetched from the npm registry into a cache that outlives the venv.

Solara's server normally proxies its JavaScript and CSS from a public CDN and caches them. Many analysts'
networks (and these build machines) cannot reach the CDN, and the page then stays blank. ``chipdeal assets``
downloads the packages the page needs from the npm registry over HTTPS (no npm needed), checks each
tarball's checksum against the registry's, and unpacks it where Solara looks (``SOLARA_ASSETS_PROXY_CACHE_DIR``).
``chipdeal app`` points Solara at the same folder. The default folder is ``~/.cache/chipdeal/solara-cdn``
(``$XDG_CACHE_HOME`` is honoured; ``CHIPDEAL_ASSETS_DIR`` overrides it).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import IO

# What solara 1.64 with ipyvuetify < 3 loads from its CDN (the recipe in ../shared/recipes/ lists them).
PACKAGES = ("@widgetti/solara-vuetify-app@10.1.1", "requirejs@2.3.6", "font-awesome@4.5.0",
            "@widgetti/vue-grid-layout@2.3.13-alpha.2")
REGISTRY = os.environ.get("CHIPDEAL_NPM_REGISTRY", "https://registry.npmjs.org")
ABOUT_MB = 70  # what they take unpacked (the tarballs are about 19 MB)
CHUNK = 256 * 1024

Progress = Callable[[str, int, int | None], None]  # (package, bytes so far, its size if the registry says it)


def cache_dir() -> Path:
    """Where the assets are kept (see the module docstring)."""
    if os.environ.get("CHIPDEAL_ASSETS_DIR"):
        return Path(os.environ["CHIPDEAL_ASSETS_DIR"]).expanduser()
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser()
    return base / "chipdeal" / "solara-cdn"


def app_dir() -> Path:
    """Where ``chipdeal app`` points Solara: ``$SOLARA_ASSETS_PROXY_CACHE_DIR`` if set, else :func:`cache_dir`."""
    if "SOLARA_ASSETS_PROXY_CACHE_DIR" in os.environ:  # as chipdeal app tests it: set at all, it is passed on
        return Path(os.environ["SOLARA_ASSETS_PROXY_CACHE_DIR"]).expanduser()
    return cache_dir()


def _split(spec: str) -> tuple[str, str]:
    """``@scope/name@1.2`` → (``@scope/name``, ``1.2``).

    >>> _split("@widgetti/vue-grid-layout@2.3.13-alpha.2")
    ('@widgetti/vue-grid-layout', '2.3.13-alpha.2')
    >>> _split("requirejs@2.3.6")
    ('requirejs', '2.3.6')
    """
    name, _, version = spec.rpartition("@")
    return name, version


def _open(url: str, timeout: float) -> IO[bytes]:
    return urllib.request.urlopen(url, timeout=timeout)  # noqa: S310 - https registry URL


def _get(url: str, timeout: float = 60.0, spec: str = "", progress: Progress | None = None) -> bytes:
    """The body at ``url``, read in chunks, each reported to ``progress`` (bytes so far, and the size if known)."""
    with _open(url, timeout) as response:
        length = getattr(response, "headers", {}).get("Content-Length")
        total = int(length) if length and str(length).isdigit() else None
        chunks, done = [], 0
        while chunk := response.read(CHUNK):
            chunks.append(chunk)
            done += len(chunk)
            if progress is not None:
                progress(spec, done, total)
        return b"".join(chunks)


def fetch(spec: str, target: Path, progress: Progress | None = None) -> bool:
    """Download and unpack one package into ``target/spec``; ``False`` if it was already there.

    ``progress``: called as the tarball arrives, with the package, the bytes so far and its size (if known).
    """
    dest = target / spec
    if (dest / "package.json").is_file():
        return False
    name, version = _split(spec)
    meta = json.loads(_get(f"{REGISTRY}/{name.replace('/', '%2F')}/{version}"))
    tarball = _get(meta["dist"]["tarball"], timeout=300.0, spec=spec, progress=progress)
    if hashlib.sha1(tarball).hexdigest() != meta["dist"]["shasum"]:  # noqa: S324 - npm's own checksum
        raise OSError(f"{spec}: checksum mismatch")
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target))
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
            members = []
            for member in tar.getmembers():
                parts = Path(member.name).parts
                if len(parts) < 2 or ".." in parts or member.issym() or member.islnk():
                    continue
                member.name = str(Path(*parts[1:]))  # strip the tarball's top folder ("package/")
                members.append(member)
            tar.extractall(tmp, members=members, filter="data")
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(tmp, dest)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return True


def ensure_assets(target: Path | None = None, packages: tuple[str, ...] = PACKAGES,
                  log: bool = True, progress: Progress | None = None) -> Path:
    """Make sure every package is in the cache; returns the cache folder.

    ``log``: print one line per package (fetched or present); ``progress``: see :func:`fetch`.
    """
    target = target or cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    for spec in packages:
        got = fetch(spec, target, progress)
        if log:
            print(f"{'fetched' if got else 'present'}  {spec}")
    return target


class ProgressLine:
    """Download progress on a stream: one line redrawn in place on a terminal, else a line per quarter.

    ``ProgressLine(sys.stderr)`` is a :data:`Progress` callback: ``chipdeal: fetching requirejs@2.3.6: 1.2 of
    3.4 MB (35%)``, and :meth:`done` ends it with the total and the time taken.
    """

    def __init__(self, stream: IO[str] | None = None, prefix: str = "chipdeal") -> None:
        self.stream = stream or sys.stderr
        self.prefix = prefix
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.start = time.monotonic()
        self.total = 0
        self.shown: dict[str, int] = {}  # package → the last quarter written (not on a terminal)
        self.sizes: dict[str, int] = {}

    def __call__(self, spec: str, done: int, size: int | None) -> None:
        """Report ``done`` bytes of ``spec`` (of ``size``, when known)."""
        self.sizes[spec] = done
        self.total = sum(self.sizes.values())
        of = f" of {size / 1e6:.1f} MB ({100 * done / size:.0f}%)" if size else " MB"
        text = f"{self.prefix}: fetching {spec}: {done / 1e6:.1f}{of}"
        if self.tty:
            self.stream.write("\r" + text.ljust(78))
        else:
            quarter = 4 * done // size if size else done // 2**22  # every 4 MB when the size is unknown
            if self.shown.get(spec) == quarter:
                return
            self.shown[spec] = quarter
            self.stream.write(text + "\n")
        self.stream.flush()

    def cut(self) -> None:
        """End a line left open on a terminal (before an error is printed after it)."""
        if self.tty and self.total:
            self.stream.write("\n")
            self.stream.flush()

    def done(self) -> None:
        """End the line: the megabytes fetched and the seconds it took."""
        end = "\r" if self.tty else ""
        self.stream.write(f"{end}{self.prefix}: fetched {self.total / 1e6:.1f} MB in "
                          f"{time.monotonic() - self.start:.0f} s".ljust(78 if self.tty else 0) + "\n")
        self.stream.flush()


def missing(target: Path | None = None, packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """Packages not yet in the cache."""
    target = target or cache_dir()
    return [p for p in packages if not (target / p / "package.json").is_file()]
