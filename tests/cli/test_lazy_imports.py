"""Lazy imports: --version and keys never load Mesa or pandas; run loads no page, plotting or cluster code."""

import json
import subprocess
import sys

import pytest
from helpers import ROOT

PROBE = """
import contextlib, io, json, sys
from negotiation.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main({argv!r})
print(json.dumps([code, sorted(m.split(".")[0] for m in sys.modules)]))
"""


def loaded_by(*argv):
    p = subprocess.run([sys.executable, "-c", PROBE.format(argv=list(argv))], cwd=ROOT, capture_output=True,
                       text=True, timeout=300)
    code, modules = json.loads(p.stdout)
    assert code == 0, p.stderr
    return set(modules)


@pytest.mark.parametrize("argv", [["--version"], ["keys"], ["keys", "--json"]])
def test_version_and_keys_load_neither_mesa_nor_pandas(argv):
    modules = loaded_by(*argv)
    assert not modules & {"mesa", "pandas", "numpy", "scipy", "matplotlib", "solara"}


def test_run_loads_mesa_but_no_page_plots_or_cluster():
    modules = loaded_by("run")
    assert "mesa" in modules
    assert not modules & {"matplotlib", "solara", "distributed", "dask", "SALib", "negmas"}
