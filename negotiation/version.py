"""What ``chipdeal --version`` says: the distribution's version and a fingerprint of the code that runs."""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import platform
from pathlib import Path

PACKAGES = ("negotiation", "agents")  # the distribution's packages (pyproject.toml)


def source_digest() -> str:
    """The SHA-256 of the Python source of :data:`PACKAGES` (paths and contents, in sorted order), as read now.

    Two installs give the same digest exactly when they hold the same code, whatever their version number
    says (an editable checkout with local changes, a wheel built from another commit).

    Returns:
        The digest, lowercase hex.

    """
    digest = hashlib.sha256()
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        for folder in (spec.submodule_search_locations or []) if spec else []:
            root = Path(folder)
            for path in sorted(root.rglob("*.py")):
                digest.update(f"{package}/{path.relative_to(root).as_posix()}\0".encode())
                digest.update(path.read_bytes())
                digest.update(b"\0")
    return digest.hexdigest()


@functools.cache
def code_fingerprint(length: int = 16) -> str:
    """The code this process runs: the first ``length`` hex digits of :func:`source_digest`, read once.

    The one fingerprint of the package: ``chipdeal --version`` prints its first 12 digits; a sweep's store and
    a calibration record all 16 (a resume after any edit is refused rather than mixing two versions in one
    frame, and a Dask worker running other code is caught).

    Args:
        length: hex digits kept.

    Returns:
        The fingerprint.

    """
    return source_digest()[:length]


def version_text() -> str:
    """``chipdeal 0.1.0 (code 1a2b3c4d5e6f; Python 3.12.1, Mesa 3.5.1)``."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return (f"chipdeal {installed('chipdeal')} (code {code_fingerprint(12)}; Python {platform.python_version()}, "
            f"Mesa {installed('mesa')})")
