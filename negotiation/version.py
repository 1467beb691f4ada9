"""What ``chipdeal --version`` says: the distribution's version and a fingerprint of the code that runs."""

from __future__ import annotations

import hashlib
import importlib.util
import platform
from pathlib import Path

PACKAGES = ("negotiation", "agents")  # the distribution's packages (pyproject.toml)


def code_fingerprint(length: int = 12) -> str:
    """A short hash of the Python source of :data:`PACKAGES` (paths and contents, in sorted order).

    Two installs print the same fingerprint exactly when they run the same code, whatever their version
    number says (an editable checkout with local changes, a wheel built from another commit).

    Args:
        length: hex digits kept.

    Returns:
        The fingerprint, lowercase hex.

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
    return digest.hexdigest()[:length]


def version_text() -> str:
    """``chipdeal 0.1.0 (code 1a2b3c4d5e6f; Python 3.12.1, Mesa 3.5.1)``."""
    from importlib.metadata import PackageNotFoundError, version

    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    return (f"chipdeal {installed('chipdeal')} (code {code_fingerprint()}; Python {platform.python_version()}, "
            f"Mesa {installed('mesa')})")
