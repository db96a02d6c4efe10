"""What every heritage source returns: sites plus per-row issues.

A source never raises for one bad row: it reports the row (line number and
reason) in ``issues`` and goes on. A source that cannot run at all (the
network is down) raises a :mod:`wikitown.core.errors` error, which the caller
reports while the other sources' results are still shown.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wikitown.core.site import Site

# A source's record is a Site with ``source`` and ``source_id`` set; the old name stays for callers.
SiteRecord = Site


@dataclass
class RowIssue:
    line: int  # 1-based line (CSV: the header is line 1) or feature number
    reason: str  # in English, for logs and tests; message(lang) for people
    action: str = "skipped"  # skipped, flagged (kept, needs a look) or repaired (kept, changed)
    code: str = ""  # a message key suffix (sitemodel.issue.<code>) when the issue has one
    params: dict = field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        """The reason in the user's language."""
        if not self.code:
            return self.reason
        from wikitown.core.i18n import t

        return t(f"sitemodel.issue.{self.code}", lang, **self.params)


@dataclass
class SourceResult:
    source: str
    records: list[Site] = field(default_factory=list)
    issues: list[RowIssue] = field(default_factory=list)
    encoding: str = ""  # how a file was read (utf-8, utf-8-sig, cp932, xlsx); "" for services
    notes: dict = field(default_factory=dict)  # what a service query found out on the way (e.g. the municipality item)
