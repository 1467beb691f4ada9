"""One exit-2 path for every user error; Ctrl-C exits 130 and a closed stdout 141, without a traceback."""

import importlib
import os
import pkgutil
import signal
import subprocess
import sys
import time

import pytest
from helpers import ROOT

import negotiation
import negotiation.cli as cli_module
import negotiation.model
from cli.cli_checks import one_error_line
from negotiation.inputs import InputError, ScenarioError


def test_every_error_class_of_the_package_is_an_input_error():
    # The package's own *Error classes are user errors (STYLE.md: internal bugs raise built-in exceptions);
    # other exceptions it defines carry control flow (a stopped sweep and its exit status).
    found = {}
    for info in pkgutil.walk_packages(negotiation.__path__, "negotiation."):
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == info.name \
                    and name.endswith("Error"):
                found[f"{info.name}.{name}"] = value
    assert "negotiation.cli.UsageError" in found and "negotiation.experiments.sweepfile.SweepError" in found
    assert all(issubclass(cls, InputError) for cls in found.values()), found


@pytest.mark.parametrize("argv", [[], ["run", "--replicates", "x"], ["run", "a.toml", "b.toml"],
                                  ["export-genius"], ["app", "--port", "0"]])
def test_usage_errors_go_through_the_one_exit_2_path(cli, argv):
    code, out, err = cli(*argv)
    assert code == 2 and out == ""
    one_error_line(err)


def test_a_multi_line_message_is_printed_on_one_line(cli, monkeypatch):
    def boom(args):
        raise ScenarioError("first\nsecond")

    monkeypatch.setattr(cli_module, "_command_run", boom)
    code, _, err = cli("run")
    assert code == 2 and one_error_line(err) == "chipdeal: error: first second"


def test_help_exits_0(cli):
    code, out, _ = cli("run", "--help")
    assert code == 0 and "--replicates" in out and "--rounds" in out


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_in_run_exits_130_with_one_line(cli, monkeypatch):
    monkeypatch.setattr(negotiation.model.NegotiationModel, "run", _interrupt)
    for argv in (["run"], ["run", "--replicates", "3"]):
        code, out, err = cli(*argv)
        assert code == 130 and err == "chipdeal: interrupted\n"


def test_ctrl_c_in_explain_exits_130_with_one_line(cli, monkeypatch):
    import negotiation.experiments.explain

    monkeypatch.setattr(negotiation.experiments.explain, "explain", _interrupt)
    assert cli("explain") == (130, "", "chipdeal: interrupted\n")


def _chipdeal_into_closed_pipe(*args):
    read, write = os.pipe()
    os.close(read)  # nobody will read: the first write fails with EPIPE, as after `| head -1` has exited
    try:
        return subprocess.run([sys.executable, "-m", "negotiation.cli", *args], stdout=write, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, timeout=300)
    finally:
        os.close(write)


@pytest.mark.parametrize("argv", [["run"], ["run", "--json"]])
def test_a_closed_stdout_exits_141_without_a_traceback(argv):
    p = _chipdeal_into_closed_pipe(*argv)
    assert p.returncode == 141
    assert p.stderr == ""


def _sigint_default() -> None:
    """In the child: Ctrl-C at its default, whatever the test process was left with (SIG_IGN is inherited
    across exec, and a Python started with SIGINT ignored never raises KeyboardInterrupt; on 7 December 2026 an
    earlier test in the same xdist worker left SIGINT ignored — which one is not found yet: NOTEBOOK)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_sigint_during_a_real_run_exits_130_with_one_line():
    p = subprocess.Popen([sys.executable, "-m", "negotiation.cli", "run", "--replicates", "100000"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_sigint_default)
    time.sleep(4)  # past the imports (about 1.5 s), well inside 100,000 runs (an hour)
    p.send_signal(signal.SIGINT)
    try:
        out, err = p.communicate(timeout=60)
    finally:
        p.kill()  # never leave a 100,000-run child burning a core for the rest of the suite
    assert p.returncode == 130 and out == ""
    assert err == "chipdeal: interrupted\n"


FULL = "/dev/full"  # a device every write to fails with ENOSPC, as a full disk does


@pytest.mark.skipif(not os.path.exists(FULL), reason="no /dev/full on this system")
def test_output_to_a_full_device_is_one_line_and_exit_1():
    with open(FULL, "w") as full:
        p = subprocess.run([sys.executable, "-m", "negotiation.cli", "run", "--json"], cwd=ROOT, stdout=full,
                           stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode == 1
    assert p.stderr == "chipdeal: error: cannot write the output (No space left on device)\n"


@pytest.mark.skipif(not os.path.exists(FULL), reason="no /dev/full on this system")
@pytest.mark.parametrize("argv", [["keys"], ["run", "--replicates", "2"], ["--version"]])
def test_every_command_says_when_its_output_cannot_be_written(argv, monkeypatch, capsys):
    with open(FULL, "w") as full:
        monkeypatch.setattr(sys, "stdout", full)
        code = cli_module.main(argv)
        assert sys.stdout is full  # put back as it was
    err = capsys.readouterr().err
    assert code == 1 and err == "chipdeal: error: cannot write the output (No space left on device)\n", err
