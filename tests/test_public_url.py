"""Where phones reach the app: the event's public_url (event.toml), the address serve gives, and the
warning for sheets that would carry localhost."""

import dataclasses
import os
import subprocess
import sys

import pytest

from tests.harness.phones import DEMO, copy_demo_event
from wikitown.core.config import load_config, save_config
from wikitown.core.errors import ConfigError
from wikitown.core.paths import PROJECT_ROOT
from wikitown.store.events import open_event
from wikitown.walk.sheets import SERVED_URL_KEY, event_join_link, is_local_url, public_base_url


@pytest.fixture
def event_dir(tmp_path, monkeypatch):
    events = tmp_path / "events"
    events.mkdir()
    monkeypatch.setenv("WIKITOWN_EVENTS_DIR", str(events))
    monkeypatch.setenv("WIKITOWN_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("WIKITOWN_PUBLIC_URL", raising=False)
    return copy_demo_event(events)


@pytest.mark.parametrize("url, local", [("http://localhost:8501", True), ("http://127.0.0.1:8501", True),
                                        ("http://[::1]:8501/", True), ("http://0.0.0.0:8501", True),
                                        ("", True), ("https://192.168.1.5:8501", False),
                                        ("https://walk.example.org", False)])
def test_local_addresses(url, local):
    assert is_local_url(url) is local


def test_public_url_order_config_then_serve_then_localhost(event_dir, monkeypatch):
    event = open_event(event_dir)
    assert public_base_url(event) == "http://localhost:8501"
    event.store.set_kv(SERVED_URL_KEY, "https://192.168.1.5:8501")
    assert public_base_url(event) == "https://192.168.1.5:8501"
    monkeypatch.setenv("WIKITOWN_PUBLIC_URL", "https://10.0.0.2:8501/")
    assert public_base_url(event) == "https://10.0.0.2:8501"
    event.close()
    cfg = load_config(event_dir)
    save_config(event_dir, dataclasses.replace(cfg, public_url="https://walk.example.org"))
    event = open_event(event_dir)
    assert event.config.public_url == "https://walk.example.org"
    assert event_join_link(event) == f"https://walk.example.org/phone/?event={DEMO}&code={cfg.code}"
    event.close()


def test_public_url_must_be_an_address(event_dir):
    text = (event_dir / "event.toml").read_text(encoding="utf-8")
    (event_dir / "event.toml").write_text('public_url = "javascript:alert(1)"\n' + text, encoding="utf-8")
    with pytest.raises(ConfigError, match="public_url"):
        load_config(event_dir)


def test_serve_puts_the_public_url_in_the_join_link(event_dir, tmp_path):
    env = {**os.environ, "WIKITOWN_LANG": "en"}
    proc = subprocess.run([sys.executable, "-m", "wikitown", "serve", "--print-only", "--event", str(event_dir),
                           "--public-url", "https://walk.example.org/"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert f"https://walk.example.org/phone/?event={DEMO}&code=" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "wikitown", "serve", "--print-only", "--event", str(event_dir),
                          "--public-url", "walk.example.org"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                         text=True, timeout=60)
    assert bad.returncode == 2 and "--public-url" in bad.stderr
