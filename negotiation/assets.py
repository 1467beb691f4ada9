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
import tarfile
import tempfile
import urllib.request
from pathlib import Path

# What solara 1.64 with ipyvuetify < 3 loads from its CDN (the recipe in ../shared/recipes/ lists them).
PACKAGES = ("@widgetti/solara-vuetify-app@10.1.1", "requirejs@2.3.6", "font-awesome@4.5.0",
            "@widgetti/vue-grid-layout@2.3.13-alpha.2")
REGISTRY = os.environ.get("CHIPDEAL_NPM_REGISTRY", "https://registry.npmjs.org")


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


def _get(url: str, timeout: float = 60.0) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - https registry URL
        return response.read()


def fetch(spec: str, target: Path) -> bool:
    """Download and unpack one package into ``target/spec``; ``False`` if it was already there."""
    dest = target / spec
    if (dest / "package.json").is_file():
        return False
    name, version = _split(spec)
    meta = json.loads(_get(f"{REGISTRY}/{name.replace('/', '%2F')}/{version}"))
    tarball = _get(meta["dist"]["tarball"], timeout=300.0)
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
                  log: bool = True) -> Path:
    """Make sure every package is in the cache; returns the cache folder."""
    target = target or cache_dir()
    target.mkdir(parents=True, exist_ok=True)
    for spec in packages:
        got = fetch(spec, target)
        if log:
            print(f"{'fetched' if got else 'present'}  {spec}")
    return target


def missing(target: Path | None = None, packages: tuple[str, ...] = PACKAGES) -> list[str]:
    """Packages not yet in the cache."""
    target = target or cache_dir()
    return [p for p in packages if not (target / p / "package.json").is_file()]
