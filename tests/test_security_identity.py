"""Borrowed identities (issue 13, point 2): a bulk-imported photographer's participant id is
random, grouped again on the next import through the store, and cannot be resumed on the
participant page."""

from __future__ import annotations

import hashlib


from tests.harness import PROJECT_ROOT
from tests.harness.requirements import need
from tests.photo_samples import jpeg
from wikitown.finds.capture import list_finds
from wikitown.finds.importer import import_photos

NOTE_OF_AKI = "Aki's own note"


# `town`: the small event fixture in tests/conftest.py


def _photo(tmp_path, name, seed):
    path = tmp_path / name
    path.write_bytes(jpeg(seed=seed, lat=34.8647761, lon=138.3246443))
    return path


def test_imported_photographer_id_is_random_and_kept_across_imports(town, tmp_path):
    import_photos(town, [_photo(tmp_path, "a.jpg", 1)], credit="Aki Tanaka", wiki_user="AkiT")
    import_photos(town, [_photo(tmp_path, "b.jpg", 2)], credit="Aki Tanaka", wiki_user="AkiT")
    import_photos(town, [_photo(tmp_path, "c.jpg", 3)], credit="Ben")
    found = list_finds(town)
    aki = {f["participant_id"] for f in found if f["credit"] == "Aki Tanaka"}
    ben = {f["participant_id"] for f in found if f["credit"] == "Ben"}
    assert len(aki) == 1 and len(ben) == 1 and aki != ben  # one participant per photographer
    pid = aki.pop()
    derivable = "import-" + hashlib.sha1("Aki Tanaka\x1fAkiT".encode()).hexdigest()[:16]
    assert pid != derivable and len(pid) >= len("import-") + 24


def test_imported_photographer_cannot_be_opened_on_the_participant_page(town, tmp_path):
    need("streamlit")
    from streamlit.testing.v1 import AppTest

    import_photos(town, [_photo(tmp_path, "a.jpg", 1)], credit="Aki Tanaka")
    pid = list_finds(town)[0]["participant_id"]
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.query_params.update({"event": "town", "code": "CODE-7Q4K-2026", "p": pid})
    at.run()
    at.switch_page("wikitown/app/views/participant.py").run()
    assert not at.exception
    # The consent form of a newcomer, not Aki's finds.
    assert "Before you start" in [s.value for s in at.subheader], [s.value for s in at.subheader]
    shown = " ".join(str(e.value) for kind in ("text", "markdown", "caption", "subheader")
                     for e in getattr(at, kind))
    assert "a.jpg" not in shown and "Aki Tanaka" not in shown
    assert "participant_id" not in at.session_state or at.session_state["participant_id"] != pid
