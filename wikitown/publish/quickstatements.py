"""A QuickStatements (v1) file adding P18 (image) to the Wikidata items of sites that
have none, from the files this event published or linked. For a person to review and
run at https://quickstatements.toolforge.org/ - wikitown never edits Wikidata itself."""

from __future__ import annotations

import re


from wikitown.publish.links import site_links
from wikitown.store.sites import load_sites

_QID_RE = re.compile(r"^Q[1-9][0-9]*$")


def p18_lines(store) -> list[str]:
    """``Q123<TAB>P18<TAB>"File name.jpg"`` for each site item without an image."""
    links = site_links(store)
    if not links:  # nothing published: no need to read every site (a prefecture's list is 20,000)
        return []
    rows = [(s.id, s.wikidata_id, s.image) for s in load_sites(store, list(links))]
    lines = []
    for site_id, qid, image in rows:
        qid = (qid or "").strip()
        files = links.get(site_id, {}).get("files", [])
        if not files or (image or "").strip() or not _QID_RE.fullmatch(qid):
            continue
        name = files[0].split(":", 1)[1] if ":" in files[0] else files[0]
        if '"' in name or "\t" in name or "\n" in name:  # cannot be quoted in v1 syntax
            continue
        lines.append(f'{qid}\tP18\t"{name}"')
    return lines


def quickstatements_text(store) -> str:
    lines = p18_lines(store)
    return "\n".join(lines) + ("\n" if lines else "")
