"""Sort keys for ``{{DEFAULTSORT:}}`` as Japanese Wikipedia writes them.

jawiki's practice (Wikipedia:表記ガイド / ソートキー), from a reading in kana:

- katakana becomes hiragana;
- 濁音・半濁音 become 清音 (が → か, ぱ → は, ゔ → う);
- small kana (拗音・促音) become full-size (しゃ → しや, っ → つ);
- the long-vowel mark ー becomes the vowel it lengthens (らーめん → らあめん; after しゃ it is あ);
- digits are zero-padded to two places (上海軌道交通3号線 → ``しやんはいきとうこうつう03``);
- spaces, 中黒 and brackets are dropped.

The result is plain text for the template's one parameter: it holds no markup.
"""

from __future__ import annotations

import re
import unicodedata

from wikitown.core.normalize import kata_to_hira, nfkc

_SMALL = str.maketrans("ぁぃぅぇぉっゃゅょゎゕゖ", "あいうえおつやゆよわかけ")
_ROWS = {
    "あ": "あかさたなはまやらわがざだばぱぁゃゎゕ",
    "い": "いきしちにひみりぎじぢびぴぃゐ",
    "う": "うくすつぬふむゆるぐずづぶぷぅっゅゔ",
    "え": "えけせてねへめれげぜでべぺぇゑゖ",
    "お": "おこそとのほもよろをごぞどぼぽぉょ",
}
_VOWEL = {ch: vowel for vowel, chars in _ROWS.items() for ch in chars}
_DROP_RE = re.compile(r"[\s・･、。,.()（）「」『』\[\]【】〈〉《》\-‐－〜~!！?？'’\"“”]")


def _seion(ch: str) -> str:
    """が → か, ぱ → は, ゔ → う: the character without its (han)dakuten."""
    base = unicodedata.normalize("NFD", ch)
    return unicodedata.normalize("NFC", base.replace("\u3099", "").replace("\u309a", ""))


def sort_key(reading: str) -> str:
    """The DEFAULTSORT key for ``reading`` (hiragana or katakana; other characters are kept)."""
    text = kata_to_hira(nfkc(reading or ""))
    text = text.replace("ヷ", "わ").replace("ヸ", "ゐ").replace("ヹ", "ゑ").replace("ヺ", "を")
    text = _DROP_RE.sub("", text)
    out: list[str] = []
    for ch in text:
        if ch in "ーｰ" and out:
            # the vowel of the sound before, read before small kana and dakuten are removed
            ch = _VOWEL.get(out[-1][1], out[-1][0]) if len(out[-1]) > 1 else _VOWEL.get(out[-1], out[-1])
            out.append(ch)
            continue
        if ch in "ーｰ":
            continue  # a lone mark at the start lengthens nothing
        # keep the original beside the sort character so the next ー knows the sound
        out.append(_seion(ch).translate(_SMALL) + ch)
    key = "".join(c[0] for c in out)
    return re.sub(r"\d+", lambda m: m.group(0).zfill(2), key)
