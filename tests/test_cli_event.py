"""`python -m wikitown event ...` end to end, as a user types it."""

import subprocess
import sys

from wikitown.core.paths import PROJECT_ROOT


def run(*args, env_extra=None, tmp_path=None, input=None):
    import os

    env = dict(os.environ, WIKITOWN_LANG="en", WIKITOWN_HOME=str(tmp_path / "home"))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "wikitown", *args], capture_output=True, text=True, env=env,
                          cwd=PROJECT_ROOT, input=input, timeout=60)


def test_help_lists_subcommands(tmp_path):
    out = run("--help", tmp_path=tmp_path)
    assert out.returncode == 0 and "event" in out.stdout


def test_event_new_check_and_passphrase(tmp_path):
    d = tmp_path / "town"
    out = run("event", "new", str(d), "--name", "テスト町", "--center", "34.86,138.32", "--radius-km", "2",
              "--wiki", "ja", tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (d / "event.toml").exists() and (d / "store.sqlite").exists()
    out = run("event", "check", str(d), tmp_path=tmp_path)
    assert out.returncode == 0 and "is valid" in out.stdout
    out = run("event", "passphrase", str(d), "--role", "organizer", "--stdin", input="a long passphrase\n",
              tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "a long passphrase" not in (d / "event.toml").read_text()


def test_bad_field_named_in_users_language(tmp_path):
    d = tmp_path / "town"
    d.mkdir()
    (d / "event.toml").write_text('name = "x"\ncode = "ABCD"\n[area]\nlat = 34.8\nlon = 138.3\nradius_km = "far"\n')
    out = run("event", "check", str(d), tmp_path=tmp_path)
    assert out.returncode == 1
    assert "area.radius_km" in out.stderr and "Traceback" not in out.stderr
    out = run("event", "check", str(d), tmp_path=tmp_path, env_extra={"WIKITOWN_LANG": "ja"})
    assert "設定ファイルの項目「area.radius_km」" in out.stderr


def test_bad_center_is_a_usage_error(tmp_path):
    out = run("event", "new", str(tmp_path / "x"), "--name", "x", "--center", "north", "--radius-km", "1",
              tmp_path=tmp_path)
    assert out.returncode == 2 and "LAT,LON" in out.stderr
