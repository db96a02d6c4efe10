"""Message catalogues: every UI string in Japanese and English.

Catalogues are JSON files under ``wikitown/locale/<lang>/<domain>.json`` so
each feature keeps its own strings; keys are namespaced (``"sites.title"``).
Japanese is the default language.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locale"


class _Missing(dict):
    def __missing__(self, key):  # leave unknown placeholders visible rather than crash
        return "{" + key + "}"


@lru_cache(maxsize=None)
def catalogue(lang: str) -> dict[str, str]:
    """All messages of one language, merged from every domain file."""
    merged: dict[str, str] = {}
    for path in sorted((LOCALE_DIR / lang).glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for key, value in data.items():
            if key in merged:
                raise ValueError(f"message key {key!r} defined twice ({path.name})")
            merged[key] = value
    return merged


def normalise_lang(lang: str | None) -> str:
    lang = (lang or DEFAULT_LANGUAGE).lower().split("-")[0].split("_")[0]
    return lang if lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str | None = None, *, markdown: bool = False, **params) -> str:
    """The message ``key`` in ``lang``; the key itself when no catalogue has it.

    ``markdown=True`` when the message is shown as Markdown (Streamlit's st.warning, st.error,
    st.write ...): every parameter is then escaped, so a site name, a file name or a line
    quoted from a draft shows as typed and never becomes a link, an image or a heading. The
    templates themselves are ours; values of :class:`~wikitown.core.markdown.Markdown` are
    taken as already safe."""
    lang = normalise_lang(lang)
    text = catalogue(lang).get(key)
    if text is None:
        other = "en" if lang == "ja" else "ja"
        text = catalogue(other).get(key, key)
    if params:
        if markdown:
            from wikitown.core.markdown import markdown_param

            params = {k: markdown_param(v) for k, v in params.items()}
        text = text.format_map(_Missing(params))
    if markdown:
        from wikitown.core.markdown import Markdown

        text = Markdown(text)
    return text


def translator(lang: str | None, *, markdown: bool = False):
    """A ``t`` bound to one language, for pages and reports (``markdown=True``: for text shown
    as Markdown, its parameters escaped)."""
    lang = normalise_lang(lang)
    return lambda key, **params: t(key, lang, markdown=markdown, **params)
