"""``chipdeal assets --dir X`` says truly whether ``chipdeal app`` will use X (no network: X holds them already)."""

import pytest

from negotiation.assets import PACKAGES


def filled(folder):
    """A folder that holds every package the page needs (so that nothing is fetched)."""
    for spec in PACKAGES:
        (folder / spec).mkdir(parents=True, exist_ok=True)
        (folder / spec / "package.json").write_text("{}")
    return folder


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("CHIPDEAL_ASSETS_DIR", "SOLARA_ASSETS_PROXY_CACHE_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return monkeypatch


def test_assets_in_another_folder_say_the_app_uses_them_only_with_the_variable(cli, clean_env, tmp_path):
    folder = filled(tmp_path / "elsewhere")
    code, out, err = cli("assets", "--dir", folder)
    last = out.strip().splitlines()[-1]
    assert code == 0 and err == ""
    assert f"only with CHIPDEAL_ASSETS_DIR={folder.resolve()}" in last
    assert str(tmp_path / "xdg") in last  # the folder it uses now


def test_assets_in_the_folder_the_app_reads_say_it_uses_them(cli, clean_env, tmp_path):
    folder = filled(tmp_path / "chosen")
    clean_env.setenv("CHIPDEAL_ASSETS_DIR", str(folder))
    code, out, _ = cli("assets", "--dir", folder)
    last = out.strip().splitlines()[-1]
    assert code == 0 and last.endswith("`chipdeal app` uses them") and "only with" not in last


def test_solara_s_own_variable_wins_and_is_named(cli, clean_env, tmp_path):
    folder = filled(tmp_path / "chosen")
    clean_env.setenv("CHIPDEAL_ASSETS_DIR", str(folder))
    clean_env.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path / "solara"))
    _, out, _ = cli("assets", "--dir", folder)
    assert "SOLARA_ASSETS_PROXY_CACHE_DIR unset" in out.strip().splitlines()[-1]
