"""Building an event with photos and drafts for the publish tests and bench (direct store inserts
until the finds and drafts features land)."""
from __future__ import annotations

import hashlib
import io
import os
import uuid
from pathlib import Path

from PIL import Image

from wikitown.core.config import save_config
from wikitown.store.events import create_event
from wikitown.store.media import put_bytes
from wikitown.store.db import draft_revisions, drafts, finds, media, now, participants, sites


def jpeg(width=96, height=64, *, gps=(34.894450, 138.322333), taken="2026:11:28 10:15:00",
         make="PhoneMaker", noise=True) -> bytes:
    """A JPEG with EXIF (GPS, date, maker/model) and random pixels (unique bytes)."""
    img = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)) if noise else \
        Image.new("RGB", (width, height), (120, 80, 40))
    exif = Image.Exif()
    exif[0x010F] = make
    exif[0x0110] = "Model X"
    exif.get_ifd(0x8769)[0x9003] = taken
    exif.get_ifd(0x8769)[0xA431] = "SERIAL-123456"  # BodySerialNumber: must not reach Commons
    if gps:
        def dms(value):
            value = abs(value)
            d = int(value)
            m = int((value - d) * 60)
            s = round(((value - d) * 60 - m) * 60, 4)
            return (float(d), float(m), float(s))

        exif.get_ifd(0x8825).update({1: "N" if gps[0] >= 0 else "S", 2: dms(gps[0]),
                                     3: "E" if gps[1] >= 0 else "W", 4: dms(gps[1])})
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85, exif=exif.tobytes())
    return buf.getvalue()


class EventBuilder:
    """An event folder with sites, a participant, finds, photos and drafts."""

    def __init__(self, root: Path, *, tag: str | None = None, draft_location: str = "draft"):
        self.tag = tag or uuid.uuid4().hex[:8]
        self.event = create_event(root / f"ev-{self.tag}", name=f"テストタウン {self.tag}", lat=34.85, lon=138.30,
                                  radius_km=10, municipality="焼津市")
        cfg = self.event.config
        cfg.event_category = f"Wikipedia Town Test {self.tag}"
        cfg.commons_categories = ["Yaizu, Shizuoka"]
        cfg.draft_location = draft_location
        # The test photos are small (96 px) to keep uploads fast; the size hold has its own tests.
        cfg.publish_min_long_side = 64
        save_config(self.event.dir, cfg)
        from wikitown.store.events import open_event

        self.event = open_event(self.event.dir)
        self.store = self.event.store
        self._n = 0

    def site(self, name: str, *, name_en: str = "", lat=34.894452, lon=138.322446, commons_category: str = "",
             wikidata_id: str = "", image: str = "") -> str:
        site_id = "s" + hashlib.sha1(f"{self.tag}{name}".encode()).hexdigest()[:11]
        with self.store.write() as conn:
            conn.execute(sites.insert().values(id=site_id, name=name, name_en=name_en, municipality="焼津市",
                                               lat=lat, lon=lon, commons_category=commons_category,
                                               wikidata_id=wikidata_id, image=image, created_at=now()))
        return site_id

    def participant(self, display_name="山田花子", wiki_user="", licence="cc-by-sa-4.0", lang="ja") -> str:
        pid = uuid.uuid4().hex
        with self.store.write() as conn:
            conn.execute(participants.insert().values(id=pid, display_name=display_name, wiki_user=wiki_user,
                                                      licence=licence, consent_at=now(), lang=lang))
        return pid

    def photo(self, site_id: str | None, participant_id: str, data: bytes | None = None, *, ext="jpg",
              note="", credit=None, licence=None, taken="2026-11-28T10:15:00", lat=34.894450, lon=138.322333,
              publish: bytes | None = None) -> str:
        """A find with one photo. ``publish``: bytes of a ready publish JPEG (else the fallback runs)."""
        data = data if data is not None else jpeg()
        sha1, rel = put_bytes(self.event.dir, data, ext)
        self._n += 1
        find_id = f"f{self.tag}{self._n}"
        values = {}
        if publish is not None:
            psha1, prel = put_bytes(self.event.dir, publish, "jpg", kind="publish")
            values = {"publish_path": prel, "publish_sha1": psha1}
        with self.store.write() as conn:
            conn.execute(finds.insert().values(id=find_id, participant_id=participant_id, site_id=site_id,
                                               note=note, licence=licence, credit=credit, created_at=now()))
            conn.execute(media.insert().values(sha1=sha1, find_id=find_id, original_name=f"IMG_{self._n}.{ext}",
                                               format=ext, size=len(data), taken=taken, lat=lat, lon=lon,
                                               path=rel, created_at=now(), **values))
        return sha1

    def draft(self, site_id: str, title: str, wikitext: str, state: str = "approved") -> int:
        with self.store.write() as conn:
            draft_id = conn.execute(drafts.insert().values(site_id=site_id, title=title, state=state,
                                                           created_at=now())).inserted_primary_key[0]
            rev = conn.execute(draft_revisions.insert().values(draft_id=draft_id, wikitext=wikitext,
                                                               author="librarian", created_at=now())
                               ).inserted_primary_key[0]
            conn.execute(drafts.update().where(drafts.c.id == draft_id).values(current_revision_id=rev))
        return draft_id

    def new_revision(self, draft_id: int, wikitext: str, state: str = "approved") -> int:
        with self.store.write() as conn:
            rev = conn.execute(draft_revisions.insert().values(draft_id=draft_id, wikitext=wikitext,
                                                               created_at=now())).inserted_primary_key[0]
            conn.execute(drafts.update().where(drafts.c.id == draft_id).values(current_revision_id=rev,
                                                                                 state=state))
        return rev
