"""Every PDF wikitown writes embeds its fonts (a PC or print shop without Japanese fonts prints
the sheet as seen, not boxes), and the Japanese text still extracts as text.

pdffonts (poppler) is the independent reader: any font with ``emb no`` fails."""

from __future__ import annotations

import io
import lzma
import subprocess

import pytest
from reportlab.pdfbase.ttfonts import TTFont

from tests.harness.requirements import need
from wikitown.core import pdffont
from wikitown.walk import planner as P
from wikitown.walk.planner import PlanSettings, PlanSite
from wikitown.walk.sheets import plan_bundle

YAIZU = (34.8669, 138.3236)


def fonts_of(path) -> list[dict]:
    """pdffonts' table as dicts: name, type, emb, sub, uni."""
    out = subprocess.run([need("pdffonts"), str(path)], capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert lines[0].split()[:2] == ["name", "type"], out
    rows = []
    for line in lines[2:]:
        parts = line.split()
        # name, type (1-2 words), encoding, emb, sub, uni, object id, generation
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3], "line": line})
    return rows


def every_pdf(tmp_path):
    """The PDFs wikitown writes: each team's sheet, in Japanese and English, one page and several,
    with a QR code and without, a named start."""
    sites = [PlanSite(f"s{i}", name, 34.860 + 0.0013 * i, 138.318 + 0.0011 * (i % 7), name_kana="よみ",
                      designation="市指定有形文化財", address=f"焼津市本町{i}丁目", needs=("photo", "article"))
             for i, name in enumerate(["常楽寺", "焼津神社", "髙﨑家住宅", "石造地蔵菩薩", "旧港ABC 〒①"] * 9)]
    paths = []
    for lang, link, label in (("ja", "http://192.168.1.20:8501/participant?event=demo&code=X", "焼津駅"),
                              ("en", "", "")):
        plan = P.make_plan(sites, PlanSettings(*YAIZU, teams=3, minutes=60, start_label=label))
        empty = P.make_plan(sites[:1], PlanSettings(*YAIZU, teams=2))
        for n, bundle in enumerate((plan, empty)):
            files = plan_bundle(bundle, event_name="焼津ウィキペディアタウン", join_link=link, code="X", lang=lang)
            for name, data in files.items():
                if name.endswith(".pdf"):
                    path = tmp_path / f"{lang}-{n}-{name}"
                    path.write_bytes(data)
                    paths.append(path)
    return paths


def test_every_font_of_every_pdf_is_embedded_and_japanese_text_extracts(tmp_path):
    paths = every_pdf(tmp_path)
    assert len(paths) == 8  # 3 teams + 1 (an empty team gets no sheet), in two languages
    for path in paths:
        rows = fonts_of(path)
        assert rows, f"{path.name}: no fonts"
        not_embedded = [r["line"] for r in rows if r["emb"] != "yes"]
        assert not not_embedded, f"{path.name}: fonts not embedded: {not_embedded}"
        assert all(r["sub"] == "yes" and r["uni"] == "yes" for r in rows), rows  # a subset, with ToUnicode
        assert all("IPAexGothic" in r["name"] for r in rows), rows
    text = subprocess.run([need("pdftotext"), "-enc", "UTF-8", str(paths[0]), "-"], capture_output=True,
                          check=True).stdout.decode()
    for needle in ("チーム 1", "焼津ウィキペディアタウン", "出発地点：焼津駅", "市指定有形文化財", "写真・記事"):
        assert needle in text, needle
    # a subset: a sheet is far smaller than the 6 MB font
    assert max(p.stat().st_size for p in paths) < 400_000


def test_the_shipped_font_is_the_unmodified_ipaex_gothic_with_its_licence(monkeypatch):
    import hashlib

    data = lzma.decompress(pdffont.SHIPPED.read_bytes())
    assert hashlib.sha256(data).hexdigest() == "3b9955a5e437ffb24c41548e79296fa724822da21ee75dc1b94f6ccdb8f400dd"
    licence = (pdffont.SHIPPED.parent / "IPA_Font_License_Agreement_v1.0.txt").read_text(encoding="utf-8")
    assert "IPA Font License Agreement v1.0" in licence
    assert TTFont("WikitownGothicTest", io.BytesIO(data)).face.name == b"IPAexGothic"
    # with no system font the shipped copy is used; a configured font file wins over both
    monkeypatch.setattr(pdffont, "SYSTEM_FONTS", ())
    monkeypatch.delenv("WIKITOWN_PDF_FONT", raising=False)
    assert pdffont.font_source() == pdffont.SHIPPED
    monkeypatch.setenv("WIKITOWN_PDF_FONT", str(pdffont.SHIPPED))
    assert pdffont.font_source() == pdffont.SHIPPED


@pytest.mark.parametrize("font", ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"])
def test_noto_cjk_cannot_be_embedded_by_reportlab(font):
    """Why the font is IPAex Gothic and not the Noto Sans CJK many systems have: CFF outlines."""
    from pathlib import Path

    if not Path(font).is_file():
        from tests.harness.requirements import missing

        missing("fonts-noto-cjk is not installed (scripts/install-test-deps.sh)")
    with pytest.raises(Exception, match="postscript outlines are not supported"):
        TTFont("NotoTest", font, subfontIndex=0)
