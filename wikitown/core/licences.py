"""The licences a participant may choose for their photos, in one place: the key stored with a
participant and in event.toml, the label people read, the deed URL, and the Commons licence template."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Licence:
    key: str
    label: str
    url: str
    commons_template: str


_ALL = (
    Licence("cc-by-sa-4.0", "CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/", "cc-by-sa-4.0"),
    Licence("cc-by-4.0", "CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/", "cc-by-4.0"),
    Licence("cc0", "CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/", "cc-zero"),
)
BY_KEY = {lic.key: lic for lic in _ALL}
LICENCES = tuple(BY_KEY)  # in the order offered to participants
DEFAULT_LICENCE = "cc-by-sa-4.0"


def label(key: str | None) -> str:
    """The licence's name for people, or the key itself when it is unknown."""
    lic = BY_KEY.get(key or "")
    return lic.label if lic else (key or "")


def url(key: str | None) -> str:
    lic = BY_KEY.get(key or "")
    return lic.url if lic else ""
