"""Every shipped scenario × 20 seeds replays its stored path exactly (offers, answers, utilities)."""

import json

import pytest
from regression.digests import DIGESTS, ROOT, SEEDS, digest, run_record, scenario_files

STORED = json.loads(DIGESTS.read_text())["digests"]


@pytest.mark.parametrize("path", scenario_files(), ids=lambda p: p.stem)
def test_every_seed_replays_its_stored_path(path):
    key = path.relative_to(ROOT).as_posix()
    assert key in STORED, f"{key}: no stored digests (run scripts/update_regression.py)"
    changed = [s for s in SEEDS if digest(run_record(path, s)) != STORED[key][s]]
    assert not changed, f"{key}: seeds {changed} changed path"
