"""A first-time organizer's day in a real browser (issue 16): Chromium at laptop size, the Japanese UI,
a copy of the bundled demo event (158 sites), no network and no pywikibot configuration.

the home page -> the organizer's page, signed in with the demo passphrase -> a plan with the default
settings (no site chosen by hand): every team fits its time, paintings and performances stay out ->
print team 1's sheet (pdftotext, pdffonts) -> a participant's photo arrives -> the publish preview,
offline, with what could not be checked marked and explained in Japanese -> every organizer tab.
On every page: no English from the list of known leaks (tests/test_ui_japanese.py) and no ISO
timestamps in the visible text.

Screenshots: test-artifacts/screenshots/first-time-NN-*.png
"""
from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess

import pytest

from tests.harness.app import goto_app, shot, wait_for_app
from tests.harness.requirements import need
from tests.test_pdf_fonts import fonts_of
from tests.test_ui_japanese import ISO_TIME, KNOWN_LEAKS
from wikitown.finds.access import DEMO_PASSPHRASES
from wikitown.store.events import open_event

pytestmark = [pytest.mark.browser, pytest.mark.slow]

LAPTOP = {"viewport": {"width": 1280, "height": 900}, "is_mobile": False, "has_touch": False,
          "device_scale_factor": 1}
CLOSED = "http://127.0.0.1:9"  # nothing listens there: every request is refused at once
PAINTING = "絹本墨画淡彩芦葉達磨図"  # 国重文 絵画, kept in a temple
PERFORMANCE = "藤守の田遊び"  # 国指定 民俗文化財, performed once a year
OTHER_VIEWS = ("文化財・スポット", "写真とメモ", "チェックリスト", "報告", "イベント")


def _leaks(page, where: str) -> list[str]:
    """English from the known leaks, and ISO timestamps, in what the page shows (the visible text)."""
    page.get_by_test_id("stApp").wait_for()
    text = page.inner_text("body")
    found = []
    for pattern in [*KNOWN_LEAKS, ISO_TIME.pattern]:
        for m in re.finditer(pattern, text):
            found.append(f"{where}: {pattern!r} in {text[max(0, m.start() - 60):m.end() + 60]!r}")
    return found


def _tab(page, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()
    wait_for_app(page)  # a tab opens its view on the server


def _download(page, name: str) -> bytes:
    with page.expect_download() as info:
        page.get_by_role("button", name=name, exact=True).click()
    data = info.value.path().read_bytes()
    wait_for_app(page)  # (a download that runs the script again would draw the next button afresh)
    return data


def test_a_first_time_organizer_plans_prints_and_previews_offline(tmp_path, start_app, phone_context,
                                                                   project_root):
    from wikitown.core.services import SERVICE_NAMES, env_var

    events = tmp_path / "events"
    shutil.copytree(project_root / "events" / "demo-yaizu", events / "demo-yaizu",
                    ignore=shutil.ignore_patterns("store.sqlite*", "media"))
    no_pywikibot = tmp_path / "pywikibot"  # PYWIKIBOT_DIR with no user-config.py: a fresh install
    no_pywikibot.mkdir()
    env = {env_var(name): f"{CLOSED}/" for name in SERVICE_NAMES}
    env.update({"WIKITOWN_WIKI_API_URL": f"{CLOSED}/w/api.php", "WIKITOWN_COMMONS_API_URL": f"{CLOSED}/w/api.php",
                "PYWIKIBOT_DIR": str(no_pywikibot)})
    app = start_app(events, env=env)
    page = phone_context(geolocation=None, **LAPTOP).new_page()
    found: list[str] = []

    # 1. Sign in with the demo's passphrase -------------------------------------------------------------
    goto_app(page, app)  # the home page, then the organizer's page from the menu
    found += _leaks(page, "home")
    page.get_by_role("link", name="主催者").click()
    wait_for_app(page)
    page.get_by_label("パスフレーズ").wait_for()
    found += _leaks(page, "sign-in")
    page.get_by_label("パスフレーズ").fill(DEMO_PASSPHRASES["organizer"])
    page.get_by_role("button", name="ログイン").click()
    wait_for_app(page)
    page.get_by_role("tab", name="班分け・ルート").wait_for()
    found += _leaks(page, "signed in")

    # 2. A plan with the defaults: nothing chosen, so the planner picks what fits ----------------------
    _tab(page, "班分け・ルート")
    page.get_by_text(re.compile("文化財がまだ選ばれていないので、座標のある 1[0-9]{2} 件から")).wait_for()
    found += _leaks(page, "plan")
    page.get_by_role("button", name="計画する").click()
    wait_for_app(page, timeout=60_000)
    page.get_by_text("計画を作って保存しました。").wait_for()
    page.get_by_text("すべてのチームが予定時間に収まっています。").wait_for()
    assert page.get_by_text(re.compile("予定時間を .* 分超えています")).count() == 0  # no team over its time
    left_label = page.get_by_text(re.compile(r"ルートに入らなかった文化財：\d+ 件"))
    left_count = int(re.search(r"：(\d+) 件", left_label.inner_text()).group(1))
    shot(page, "first-time-01-plan", tall=True)
    found += _leaks(page, "plan made")

    from wikitown.walk.planner import load_plan

    event = open_event(events / "demo-yaizu")
    plan = load_plan(event.store)
    event.close()
    budget = plan.settings.minutes
    assert budget and plan.settings.teams >= 2  # the form's defaults carry a time budget
    routes = [r for r in plan.routes if r.stops]
    assert len(routes) == plan.settings.teams
    assert all(r.total_min <= budget and r.over_min == 0 for r in plan.routes), \
        [(r.team, r.total_min, budget) for r in plan.routes]
    planned = {x.site.name for r in plan.routes for x in r.stops}
    reasons = {x.name: x.reason for x in plan.left_out}
    assert reasons.get(PAINTING) == "not_outdoors" and reasons.get(PERFORMANCE) == "intangible", reasons
    assert PAINTING not in planned and PERFORMANCE not in planned
    stops = {x.site.id for r in plan.routes for x in r.stops}
    assert len(plan.left_out) == left_count and len(stops) + left_count == 158  # every site planned or left out
    # the page's team table says the same (the table is a canvas: read it through its CSV twin, plan.csv)
    page.get_by_text(left_label.inner_text()).click()  # open the left-out list
    left_csv = _download(page, "left_out.csv（計画に入らなかった文化財と理由）").decode("utf-8-sig")
    rows = {r["name"]: r["reason"] for r in csv.DictReader(io.StringIO(left_csv))}
    assert rows.get(PAINTING) == "not_outdoors" and rows.get(PERFORMANCE) == "intangible", left_csv[:500]
    assert len(rows) <= left_count
    plan_csv = _download(page, "plan.csv").decode("utf-8-sig")
    last = {}
    for r in csv.DictReader(io.StringIO(plan_csv)):
        last[int(r["team"])] = max(last.get(int(r["team"]), 0.0), float(r["arrival_min"]))
    assert sorted(last) == [r.team for r in routes]
    assert all(arrival + plan.settings.minutes_per_site <= budget + 0.5 for arrival in last.values()), last

    # 3. Print team 1's sheet: Japanese text that copies, every font embedded ------------------------------
    page.get_by_role("button", name="印刷用 PDF と GPX を作る").click()
    wait_for_app(page, timeout=60_000)
    pdf = tmp_path / "team-1.pdf"
    pdf.write_bytes(_download(page, "チーム 1 の用紙（PDF）"))
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run([need("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    first = plan.route(1).stops[0].site.name
    assert "チーム 1" in text and "焼津ウィキペディアタウン（デモ）" in text, text[:800]
    assert first in text.replace(" ", ""), (first, text[:800])
    fonts = fonts_of(pdf)
    assert fonts and all(f["emb"] == "yes" for f in fonts), [f["line"] for f in fonts]
    found += _leaks(page, "plan sheets")

    # 4. A participant's photo arrives (the phone's side is tested elsewhere) ------------------------------
    from wikitown.finds.capture import join_event, submit_find

    event = open_event(events / "demo-yaizu")
    photo = (project_root / "events" / "demo-yaizu" / "photos" / "9_jorakuji_gps.jpg").read_bytes()
    sent = submit_find(event, join_event(event, "焼津 花子", "cc-by-sa-4.0"), [("jorakuji.jpg", photo)])
    event.close()
    assert sent.match_status == "matched"

    # 5. The publish preview: no pywikibot configuration, no network --------------------------------------
    _tab(page, "公開")
    for label in ("写真の送り先", "下書きの送り先"):  # the event's wikis (here: the closed port)
        assert page.get_by_role("textbox", name=label, exact=True).input_value() == f"{CLOSED}/w/api.php"
    page.get_by_text(re.compile("計画を見るだけならログインはいりません。.*BotPassword（ボットパスワード）")).wait_for()
    found += _leaks(page, "publish")
    page.get_by_role("button", name="計画を作る").click()
    wait_for_app(page, timeout=60_000)
    page.get_by_text(re.compile("アップロード: 1 ・ リンク: 0 ・ ページ編集: 0")).wait_for()
    page.get_by_text(re.compile("^ウィキに接続できなかったため、確認できていない項目があります")).wait_for()
    for unchecked in ("未確認: このファイル名がウィキで空いているか（接続できません）。",
                      "未確認: 同じ写真がすでにウィキにないか（接続できません）。"):
        page.get_by_text(unchecked, exact=True).first.wait_for()
    page.get_by_text(re.compile(r"常楽寺 \(焼津市\) \d{4}-\d\d-\d\d 01\.jpg")).first.wait_for()
    page.get_by_text("{{Information", exact=False).first.wait_for()  # the file page in full
    assert page.get_by_test_id("stException").count() == 0
    shot(page, "first-time-02-publish-preview", tall=True)
    found += _leaks(page, "publish preview offline")
    assert not list(no_pywikibot.iterdir())  # pywikibot was not started: nothing written in its folder

    # 6. Every other tab, as a first-time organizer clicks through them -----------------------------------
    for name in OTHER_VIEWS:
        _tab(page, name)
        assert page.get_by_test_id("stException").count() == 0, name
        found += _leaks(page, name)
    assert "Traceback" not in app.log()
    assert not found, "\n".join(dict.fromkeys(found))
