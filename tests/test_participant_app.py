"""The participant page in AppTest: join, consent, upload, site suggestion, my finds;
and the organizer's queue tab."""


from streamlit.testing.v1 import AppTest

from tests.harness.apptest import click, open_view, texts

from tests.harness.requirements import shared_data
from wikitown.app.participant import GEO_KEY, PID_KEY
from wikitown.finds.access import DEMO_PASSPHRASES
from wikitown.store.events import open_event
from wikitown.finds.capture import join_event, list_finds, mark_reviewed, submit_find
from wikitown.core.paths import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
PAGE = "wikitown/app/views/participant.py"
# 護信寺・弁天宮 in the demo's walking-event data (34.8647761, 138.3246443)
GOSHINJI = (34.86478, 138.32465)


def _join(at, code="YAIZU-DEMO"):
    at.switch_page(PAGE).run()
    at.text_input[0].input(code)
    at.button[0].click()
    return at.run()


def _consent(at, name="山田 太郎", licence="cc-by-sa-4.0", agree=True):
    at.text_input[0].input(name)
    at.radio(key="participant_licence").set_value(licence)
    if agree:
        at.checkbox(key="participant_agree").check()
    return click(at, "はじめる" if at.session_state["lang"] == "ja" else "Start")


def _fresh(lang="ja"):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    return at.run()


def test_join_with_wrong_code_then_right_code(demo_env):
    at = _join(_fresh(), "WRONG-CODE")
    assert "参加コードが違います。" in texts(at)
    assert PID_KEY not in at.session_state
    at.text_input[0].input("yaizu-demo")  # case-insensitive
    at.button[0].click()
    at.run()
    assert "はじめに" in texts(at)  # the consent form comes next


def test_qr_link_joins_without_typing(demo_env):
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    at.query_params["code"] = "YAIZU-DEMO"
    at.query_params["event"] = "demo-yaizu"
    at.run()
    at.switch_page(PAGE).run()
    assert "Before you start" in texts(at)


def test_consent_needs_agreement_and_is_stored(demo_env):
    at = _join(_fresh())
    at = _consent(at, agree=False)
    assert "同意のチェック" in texts(at)
    assert PID_KEY not in at.session_state
    at.number_input[0].set_value(3)
    at = _consent(at, name="ｙａｍａｄａ", licence="cc-by-4.0")
    assert not at.exception
    pid = at.session_state[PID_KEY]
    event = open_event(demo_env)
    from wikitown.finds.capture import get_participant

    person = get_participant(event, pid)
    assert person["display_name"] == "yamada"  # NFKC
    assert person["licence"] == "cc-by-4.0" and person["consent_at"] and person["team"] == 3
    assert "yamada（CC BY 4.0）" in texts(at)


def _photo(*parts):
    return shared_data("photos", *parts).read_bytes()


def test_upload_with_exif_is_matched_and_listed(demo_env):
    data = _photo("yaizu", "9_jorakuji_gps.jpg")
    at = _consent(_join(_fresh()))
    at.session_state[GEO_KEY] = {"lat": 35.0, "lon": 139.0, "accuracy": 10}  # far away: EXIF must win
    _set_uploads(at, [("IMG_0001.jpg", data, "image/jpeg"), ("notes.txt", b"not a photo", "text/plain")])
    at.run()
    text = texts(at)
    assert "いちばん近い場所（10 m）" in text
    assert "常楽寺" in text
    at.text_area(key="participant_note_0").input("<script>alert(1)</script> **太字** [[リンク]]")
    at.checkbox(key="participant_field_0_signboard").check()
    at.selectbox(key="participant_field_0_access").set_value("段差あり")
    click(at, "送信")
    assert not at.exception
    text = texts(at)
    # File names are the sender's text: escaped inside the (Markdown) alert, shown as typed.
    assert "IMG\\_0001\\.jpg: 受け取りました。" in text
    assert "notes\\.txt: 写真ではありません" in text
    event = open_event(demo_env)
    rows = list_finds(event)
    assert len(rows) == 1
    find = rows[0]
    assert find["site_name"] == "常楽寺" and find["match_status"] == "matched" and find["location_source"] == "exif"
    assert find["note"] == "<script>alert(1)</script> **太字** [[リンク]]"  # stored as typed
    assert find["fields"] == {"signboard": True, "access": "段差あり"}
    assert find["credit"] == "山田 太郎" and find["licence"] == "cc-by-sa-4.0"
    # My finds: the note is shown as plain text (st.text), never as Markdown.
    assert "<script>alert(1)</script> **太字** [[リンク]]" in [t.value for t in at.text]
    assert not any("alert" in m.value for m in at.markdown)


def test_photo_without_gps_uses_browser_location(demo_env):
    data = _photo("yaizu", "12-a_hoshakuji_jizo_noexif.png")
    at = _consent(_join(_fresh("en")), name="Hanako")
    at.session_state[GEO_KEY] = {"lat": GOSHINJI[0], "lon": GOSHINJI[1], "accuracy": 12}
    _set_uploads(at, [("jizo.png", data, "image/png")])
    at.run()
    assert "Location: from your phone (accurate to about 12 m)." in texts(at)
    assert "護信寺・弁天宮(光心寺跡)" in texts(at)
    click(at, "Send")
    rows = list_finds(open_event(demo_env))
    assert rows[0]["location_source"] == "browser" and rows[0]["accuracy_m"] == 12
    assert rows[0]["site_name"] == "護信寺・弁天宮(光心寺跡)"


def test_no_location_lets_participant_pick_the_site(demo_env):
    data = _photo("yaizu", "12-a_hoshakuji_jizo_noexif.png")
    at = _consent(_join(_fresh("en")), name="Jiro")
    _set_uploads(at, [("jizo.png", data, "image/png")])
    at.run()
    assert "No location yet" in texts(at)
    event = open_event(demo_env)
    import sqlalchemy as sa

    from wikitown.store.db import sites

    with event.store.read() as conn:
        site_id = conn.execute(sa.select(sites.c.id).where(sites.c.name == "常楽寺")).scalar_one()
    at.selectbox(key="participant_site_0").set_value(site_id)
    click(at, "Send")
    row = list_finds(event)[0]
    assert row["site_id"] == site_id and row["location_source"] == "site" and row["match_status"] == "assigned"


def test_my_finds_editable_until_reviewed(demo_env):
    event = open_event(demo_env)
    at = _consent(_join(_fresh("en")), name="Editor")
    pid = at.session_state[PID_KEY]
    result = submit_find(event, pid, [], note="first note", browser_location=GOSHINJI + (5,))
    at.run()
    assert "first note" in [t.value for t in at.text]
    at.text_area(key=f"edit_note_{result.find_id}").input("second note")
    at.button(key=f"edit_save_{result.find_id}").click()
    at.run()
    assert list_finds(event)[0]["note"] == "second note"
    assert "Saved your change." in texts(at)
    mark_reviewed(event, result.find_id)
    at.run()
    assert "Reviewed by the organizers" in texts(at)
    assert not [b for b in at.button if b.key == f"edit_save_{result.find_id}"]


def test_organizer_assigns_a_queued_find(demo_env):
    event = open_event(demo_env)
    from wikitown.gaps.collect import load_configured_opendata

    load_configured_opendata(event)
    pid = join_event(event, "Far Away", "cc0")
    queued = submit_find(event, pid, [], note="where is this?", browser_location=(34.80, 138.20, 10))
    assert queued.match_status == "queue"
    at = _fresh("en")
    at.switch_page("wikitown/app/views/organizer.py").run()
    at.text_input[0].input(DEMO_PASSPHRASES["organizer"])
    at.button[0].click()
    at.run()
    open_view(at, "finds")
    assert "1 finds have no site yet" in texts(at)
    at.button(key=f"finds_assign_{queued.find_id}").click()
    at.run()
    assert not at.exception
    row = list_finds(event)[0]
    assert row["match_status"] == "assigned" and row["site_id"]
    assert "No find is waiting" in texts(at)


# --------------------------------------------------------------------------------------------




def _set_uploads(at, files):
    at.file_uploader(key="participant_files_0").set_value(files)


def test_camera_photo_and_hostile_name(demo_env):
    from tests.photo_samples import jpeg

    hostile = "**Bold** ![img](http://127.0.0.1:9/x.png) <script>x</script>"
    at = _consent(_join(_fresh("en")), name=hostile)
    caption = [c.value for c in at.caption if c.value.startswith("Sending as")][0]
    # Every Markdown character of the typed name is escaped: it renders as the text typed.
    assert "\\*\\*Bold\\*\\* \\!\\[img\\]\\(http\\://127\\.0\\.0\\.1\\:9/x\\.png\\)" in caption
    at.toggle(key="participant_camera_on").set_value(True)
    at.run()
    at.camera_input(key="participant_camera_0").set_value(
        ("camera.jpg", jpeg(seed=77, lat=34.894452, lon=138.322446), "image/jpeg"))
    at.run()
    assert "Location: from the photo's GPS." in texts(at)
    click(at, "Send")
    assert not at.exception
    row = list_finds(open_event(demo_env))[0]
    assert row["site_name"] == "常楽寺" and row["location_source"] == "exif"
    assert row["credit"] == hostile  # stored as typed
    assert row["media"][0]["original_name"] == "camera.jpg"


def test_my_finds_show_what_they_became(demo_env):
    """After publishing, the participant's own list names the Commons file and the article."""
    from PIL import Image
    import io as _io
    import sqlalchemy as sa
    from wikitown.store.db import drafts, media, publish_journal

    at = _consent(_join(_fresh()))
    buf = _io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 10)).save(buf, "JPEG")
    at.session_state[GEO_KEY] = {"lat": GOSHINJI[0], "lon": GOSHINJI[1], "accuracy": 5}
    _set_uploads(at, [("a.jpg", buf.getvalue(), "image/jpeg")])
    at.run()
    click(at, "送信")
    event = open_event(demo_env)
    find = list_finds(event)[0]
    with event.store.write() as conn:
        sha1 = conn.execute(sa.select(media.c.sha1).where(media.c.find_id == find["id"])).scalar_one()
        conn.execute(publish_journal.insert().values(action_key=f"upload:{sha1}", kind="upload",
                                                     target="File:護信寺 2026-11-28 01.jpg",
                                                     payload={"sha1": sha1}, status="done"))
        conn.execute(drafts.insert().values(site_id=find["site_id"], title="護信寺 (焼津市)", state="published",
                                            published_title="Draft:護信寺 (焼津市)"))
    at.run()
    texts = [t.value for t in at.text]
    assert "写真は公開されました：File:護信寺 2026-11-28 01.jpg" in texts
    assert "記事：Draft:護信寺 (焼津市)（公開済み）" in texts


def test_a_send_that_stores_nothing_clears_the_files(demo_env):
    """A photo sent twice: "already sent", and it is not sent a third time with the next photo."""
    from tests.photo_samples import jpeg

    first, second = jpeg(seed=1), jpeg(seed=2)
    at = _consent(_join(_fresh()))
    at.session_state[GEO_KEY] = {"lat": GOSHINJI[0], "lon": GOSHINJI[1], "accuracy": 5}
    _set_uploads(at, [("a.jpg", first, "image/jpeg")])
    at.run()
    click(at, "送信")
    at.file_uploader(key="participant_files_1").set_value([("a.jpg", first, "image/jpeg")])
    at.run()
    click(at, "送信")
    assert "a\\.jpg: この写真はすでに送られているので、1枚として保存しています。" in texts(at)
    assert at.session_state["participant_upload_round"] == 2
    at.file_uploader(key="participant_files_2").set_value([("b.jpg", second, "image/jpeg")])
    at.run()
    click(at, "送信")
    event = open_event(demo_env)
    rows = list_finds(event)
    assert len(rows) == 2
    assert sorted(len(r["media"]) for r in rows) == [1, 1]  # the duplicate did not ride along
    assert "a\\.jpg" not in texts(at)  # only the new photo's result is shown
