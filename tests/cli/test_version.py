"""chipdeal --version: the installed version and a fingerprint of the code that runs."""

import importlib.util
import re
from importlib.metadata import version

from negotiation import version as version_module


def test_version_prints_the_distribution_version_and_a_code_fingerprint(cli):
    code, out, err = cli("--version")
    assert code == 0 and err == ""
    m = re.fullmatch(r"chipdeal (\S+) \(code ([0-9a-f]{12}); Python 3\.\d+\.\d+\S*, Mesa (\S+)\)\n", out)
    assert m, out
    assert m.group(1) == version("chipdeal") and m.group(3) == version("mesa")
    assert m.group(2) == version_module.code_fingerprint(12) == version_module.code_fingerprint()[:12]


def test_fingerprint_follows_the_source_not_the_version_number(tmp_path, monkeypatch):
    package = tmp_path / "negotiation"
    package.mkdir()
    (package / "a.py").write_text("x = 1\n")
    real_find_spec = importlib.util.find_spec

    def find_spec(name, *args):
        if name == "negotiation":
            return importlib.util.spec_from_file_location(name, package / "__init__.py",
                                                          submodule_search_locations=[str(package)])
        return real_find_spec(name, *args)

    monkeypatch.setattr(version_module.importlib.util, "find_spec", find_spec)
    first = version_module.source_digest()
    assert version_module.source_digest() == first  # stable
    (package / "a.py").write_text("x = 2\n")
    changed = version_module.source_digest()
    assert changed != first
    (package / "a.py").rename(package / "b.py")  # the same contents under another name is other code
    (package / "b.py").write_text("x = 2\n")
    assert version_module.source_digest() not in (first, changed)
