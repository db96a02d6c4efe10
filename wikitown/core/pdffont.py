"""The Japanese font every PDF wikitown writes embeds (team sheets; any printable list).

A PDF that only names a font (reportlab's built-in CID fonts such as ``HeiseiKakuGo-W5``) prints
boxes on a library PC or a print shop without Japanese fonts. So the PDFs embed a subset of a
freely licensed TrueType Japanese font (reportlab subsets TrueType fonts itself: only the glyphs
used go into the file, a sheet stays small):

1. ``WIKITOWN_PDF_FONT``: a TrueType (.ttf/.ttc with outlines in glyf) font file, if set;
2. IPAexGothic from the system (Debian/Ubuntu ``fonts-ipaexfont-gothic``), or IPAGothic;
3. the copy shipped in ``wikitown/core/fonts/`` (``ipaexg.ttf.xz``: IPAexGothic 004.01,
   unmodified, xz-compressed; IPA Font License Agreement v1.0 beside it).

Noto Sans CJK (``fonts-noto-cjk``) is not used: its outlines are CFF, which reportlab cannot
embed ("postscript outlines are not supported").
"""

from __future__ import annotations

import io
import lzma
import os
from functools import lru_cache
from pathlib import Path

FONT_NAME = "WikitownGothic"
SHIPPED = Path(__file__).resolve().parent / "fonts" / "ipaexg.ttf.xz"
SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/truetype/ipaexfont-gothic/ipaexg.ttf",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/truetype/ipafont-gothic/ipag.ttf",
    "/Library/Fonts/ipaexg.ttf",
    "C:/Windows/Fonts/ipaexg.ttf",
)


def font_source() -> str | Path:
    """Where the embedded font comes from: a file path, or the shipped compressed copy."""
    configured = os.environ.get("WIKITOWN_PDF_FONT", "").strip()
    if configured and Path(configured).is_file():
        return Path(configured)
    for candidate in SYSTEM_FONTS:
        if Path(candidate).is_file():
            return Path(candidate)
    return SHIPPED


@lru_cache(maxsize=1)
def register_japanese_font() -> str:
    """Register the embeddable Japanese TrueType font with reportlab once; returns its name."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    source = font_source()
    if source == SHIPPED:
        font = TTFont(FONT_NAME, io.BytesIO(lzma.decompress(SHIPPED.read_bytes())))
    else:
        font = TTFont(FONT_NAME, str(source))
    pdfmetrics.registerFont(font)
    # one weight: <b> in a paragraph keeps the same (embedded) face rather than a font no one has
    pdfmetrics.registerFontFamily(FONT_NAME, normal=FONT_NAME, bold=FONT_NAME, italic=FONT_NAME,
                                  boldItalic=FONT_NAME)
    return FONT_NAME
