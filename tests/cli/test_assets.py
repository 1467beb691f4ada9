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


class FakeRegistry:
    """The npm registry in memory: each package's metadata and a small tarball, served in chunks."""

    def __init__(self, size=600_000):
        import hashlib
        import io
        import json
        import os
        import tarfile

        self.files = {}
        for spec in PACKAGES:
            name, _, version = spec.rpartition("@")
            buffer = io.BytesIO()
            with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
                for path, data in (("package/package.json", b"{}"), ("package/blob.bin", os.urandom(size))):
                    info = tarfile.TarInfo(path)
                    info.size = len(data)
                    tar.addfile(info, io.BytesIO(data))
            tarball = buffer.getvalue()
            url = f"https://registry.example/{spec}.tgz"
            meta = {"dist": {"tarball": url, "shasum": hashlib.sha1(tarball).hexdigest()}}  # noqa: S324
            self.files[f"{name.replace('/', '%2F')}/{version}"] = json.dumps(meta).encode()
            self.files[url] = tarball

    def open(self, url, timeout):
        import io

        body = next(data for key, data in self.files.items() if url.endswith(key))
        response = io.BytesIO(body)
        response.headers = {"Content-Length": str(len(body))}
        return response


def test_the_first_app_start_announces_the_fetch_and_shows_its_progress(cli, clean_env, tmp_path):
    import os

    from negotiation import assets

    registry = FakeRegistry()
    clean_env.setattr(assets, "_open", registry.open)
    started = []
    clean_env.setattr(os, "execve", lambda *args: started.append(args[2]))  # the server itself does not start
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    code, out, err = cli("app", "--port", port)
    lines = err.splitlines()
    assert code == 0 and started and started[0]["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(assets.cache_dir())
    assert lines[0].startswith(f"chipdeal app: fetching the page's front-end files once ({len(PACKAGES)} of "
                               f"{len(PACKAGES)} packages, about {assets.ABOUT_MB} MB unpacked) from the npm registry")
    for spec in PACKAGES:  # each package's progress, in order, up to 100%
        shown = [line for line in lines if line.startswith(f"chipdeal app: fetching {spec}: ")]
        assert shown and shown[-1].endswith("(100%)"), spec
        percents = [int(line.rsplit("(", 1)[1].rstrip("%)")) for line in shown]
        assert percents == sorted(percents) and len(shown) <= 5  # a line a quarter, not one per chunk
    assert lines[-1].startswith("chipdeal app: fetched ") and " MB in " in lines[-1]
    assert assets.missing() == []
    code, _, err = cli("app", "--port", port)  # the next start fetches nothing and says nothing
    assert code == 0 and err == ""


def test_chipdeal_assets_shows_its_progress_on_stderr(cli, clean_env, tmp_path):
    from negotiation import assets

    clean_env.setattr(assets, "_open", FakeRegistry().open)
    code, out, err = cli("assets", "--dir", tmp_path / "x")
    assert code == 0 and [line.split()[0] for line in out.splitlines()[:len(PACKAGES)]] == ["fetched"] * len(PACKAGES)
    assert all(any(line.startswith(f"chipdeal: fetching {spec}: ") and line.endswith("(100%)")
                   for line in err.splitlines()) for spec in PACKAGES)


def test_an_unreachable_registry_is_a_warning_and_the_page_still_starts(cli, clean_env):
    import os
    import socket

    from negotiation import assets

    def unreachable(url, timeout):
        raise OSError("no route to host")

    clean_env.setattr(assets, "_open", unreachable)
    started = []
    clean_env.setattr(os, "execve", lambda *args: started.append(args))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    code, _, err = cli("app", "--port", port)
    lines = err.splitlines()
    assert code == 0 and started and lines[0].startswith("chipdeal app: fetching the page's front-end files once")
    assert lines[-1].startswith("chipdeal: warning: the page's assets are not cached") and "no route" in lines[-1]
