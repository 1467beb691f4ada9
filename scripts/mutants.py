"""A mutation run over the behaviour rules: each mutant breaks one rule, and a rule test must fail for it.

Each mutant is a source patch (one exact text, found once in its file, replaced). The script copies the tree
(tracked and untracked files, not ignored ones) to a temporary folder, checks that the tests pass there
unchanged, then applies each mutant in turn to the copy, runs the named tests on it and restores the file:
the working tree is never touched. It prints a table: the mutant, whether it was killed, the rule tests
(outside tests/regression) that failed, and whether the regression records failed too. It exits 1 if a
mutant survives or is killed only by the regression records.

Usage:
    uv run python scripts/mutants.py                 # every mutant
    uv run python scripts/mutants.py --only a c1     # some of them
    uv run python scripts/mutants.py --list          # the mutants, without running anything

tests/test_mutants.py checks (in the suite) that every patch still applies to the code as it is.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TESTS = ["tests/agents", "tests/theory", "tests/model", "tests/unit/test_economics.py", "tests/regression"]


@dataclass(frozen=True)
class Mutant:
    """One rule broken: ``old`` (found exactly once in ``path``) replaced by ``new``."""

    name: str
    rule: str
    path: str
    old: str
    new: str

    def apply(self, text: str) -> str:
        """The file's text with the mutant in it (``ValueError`` unless ``old`` occurs exactly once)."""
        if text.count(self.old) != 1:
            raise ValueError(f"mutant {self.name}: the text to replace occurs {text.count(self.old)} times in "
                             f"{self.path} (update scripts/mutants.py to the code)")
        return text.replace(self.old, self.new)


MUTANTS = [
    Mutant("a", "insurer: the capacity check always passes", "agents/insurer.py",
           "return self.exposure_usd_bn <= self.capacity_usd_bn", "return True"),
    Mutant("a2", "insurer: refuses at exactly its capacity (< for <=)", "agents/insurer.py",
           "return self.exposure_usd_bn <= self.capacity_usd_bn", "return self.exposure_usd_bn < self.capacity_usd_bn"),
    Mutant("b", "investor: its build ignores its margin", "agents/investor.py",
           "self.committed_usd_bn * (1.0 + sigma / self.margin_per_usd)",
           "self.committed_usd_bn * (1.0 + sigma)"),
    Mutant("c1", "principal: the loosest ratifier binds (| for &, fundable_options)", "agents/principal.py",
           "ok &= ratifier.funds(terms.q, terms.s)", "ok |= ratifier.funds(terms.q, terms.s)"),
    Mutant("c2", "counterpart: the loosest lender binds in its view (max for min, believed_npv)",
           "agents/counterpart.py",
           "out = np.minimum(out, lender.terms_seen_with(margin, failure).npv_per_usd(lender.portfolio, q, s))",
           "out = np.where(np.isinf(out), lender.terms_seen_with(margin, failure).npv_per_usd(lender.portfolio, q, "
           "s), np.maximum(out, lender.terms_seen_with(margin, failure).npv_per_usd(lender.portfolio, q, s)))"),
    Mutant("d1", "concession: the curve squared (faratin_alpha)", "agents/bargaining.py",
           "return kappa + (1.0 - kappa) * frac ** (1.0 / beta)",
           "return (kappa + (1.0 - kappa) * frac ** (1.0 / beta)) ** 2"),
    Mutant("d2", "concession: the curve squared where an offer uses it (propose)", "agents/bargaining.py",
           "alpha = faratin_alpha(t, self.table.concession_rounds, self.concession_beta)",
           "alpha = faratin_alpha(t, self.table.concession_rounds, self.concession_beta) ** 2"),
    Mutant("e", "planning: the plan is not redone after beliefs change (Government._forget)", "agents/bargaining.py",
           "        self._plan = None\n        if preferences_moved:", "        if preferences_moved:"),
    Mutant("f", "lender: its NPV forgets the insurer's cover (cover_cost_per_usd)", "agents/lender.py",
           "- 1.0 - self.cover_cost_per_usd \\", "- 1.0 \\"),
    Mutant("g", "claims: a claim that named no phase is read on the phase after recoup alone", "agents/claims.py",
           "return np.maximum(q, s) if self.wants_high_share else np.minimum(q, s)", "return s"),
    Mutant("h", "claims: backing down costs nothing (the audience cost dropped)", "agents/claims.py",
           "backed_down = np.maximum(-gap, 0.0) if self.wants_high_share else np.maximum(gap, 0.0)",
           "backed_down = 0.0 * gap"),
    Mutant("i", "the US's horizon: what follows its term weighted fully (w ignored)", "agents/counterpart.py",
           "clock=Clock(given(params.discount_rate_per_year), term, params.post_term_weight)",
           "clock=Clock(given(params.discount_rate_per_year), term, 1.0)"),
    Mutant("i2", "the clock: a weight after the term that flows ignore (Ψ without w)", "negotiation/economics.py",
           "return _phi(r, np.minimum(x, big_t)) + w * (_phi(r, np.maximum(x, big_t)) - _phi(r, big_t))",
           "return _phi(r, x)"),
]


def copy_tree(dest: Path) -> None:
    """The working tree's files (tracked and untracked, not ignored), copied to ``dest``."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def run_tests(tree: Path) -> tuple[int, list[str]]:
    """Run the named tests on ``tree`` (its own agents/ and negotiation/ first on the path): status, failures.

    Hypothesis draws the same examples in every run (a fixed seed) and starts with no database of examples:
    otherwise an example that failed under one mutant would be replayed under the next, and a property test
    that fails on a rare example regardless of the mutant would be counted as a kill.
    """
    shutil.rmtree(tree / ".hypothesis", ignore_errors=True)
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--tb=no", "-rfE",
                           "--hypothesis-seed=0", *TESTS], cwd=tree, capture_output=True, text=True, check=False)
    failed = [m.group(1) for m in re.finditer(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)]
    return done.returncode, failed


def loads_from(tree: Path) -> str:
    """Where ``agents`` is imported from when Python runs in ``tree`` (it must be the copy)."""
    return subprocess.run([sys.executable, "-c", "import agents; print(agents.__file__)"], cwd=tree,
                          capture_output=True, text=True, check=True).stdout.strip()


def main(argv: list[str]) -> int:
    chosen = MUTANTS
    if "--only" in argv:
        names = set(argv[argv.index("--only") + 1:])
        chosen = [m for m in MUTANTS if m.name in names]
    if "--list" in argv:
        for m in chosen:
            print(f"{m.name:3} {m.path:22} {m.rule}")
        return 0
    rows, bad = [], 0
    with tempfile.TemporaryDirectory(prefix="chipdeal-mutants-") as folder:
        tree = Path(folder)
        copy_tree(tree)
        assert Path(loads_from(tree)).is_relative_to(tree.resolve()), "the copy would import the working tree"
        start = time.monotonic()
        status, failed = run_tests(tree)
        if status != 0:
            print("the tests fail with no mutant:", *failed, sep="\n  ")
            return 2
        print(f"no mutant: {' '.join(TESTS)} pass ({time.monotonic() - start:.0f} s)")
        for m in chosen:
            file = tree / m.path
            original = file.read_text(encoding="utf-8")
            try:
                file.write_text(m.apply(original), encoding="utf-8")
                status, failed = run_tests(tree)
            finally:
                file.write_text(original, encoding="utf-8")
            rule_tests = [f for f in failed if not f.startswith("tests/regression/")]
            records = any(f.startswith("tests/regression/") for f in failed)
            killed = "yes" if rule_tests else ("records only" if records else "NO")
            bad += killed != "yes"
            rows.append((m, killed, rule_tests, records))
            print(f"{m.name}: {killed} ({len(failed)} tests failed)", flush=True)
    print("\n| mutant | rule broken | killed | by the rule tests | records |")
    print("|---|---|---|---|---|")
    for m, killed, rule_tests, records in rows:
        tests = dict.fromkeys(t.split("::")[-1].split("[")[0] for t in rule_tests)  # parametrized once
        names = ", ".join(f"`{t}`" for t in tests) or "—"
        print(f"| {m.name} | {m.rule} (`{m.path}`) | {killed} | {names} | {'failed' if records else 'passed'} |")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
