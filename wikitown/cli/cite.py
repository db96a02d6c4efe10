"""``cite``: print a citation for the target wiki from an ISBN or a URL."""

from __future__ import annotations

import datetime as dt
import sys

from wikitown.drafts import isbn as isbn_mod
from wikitown.drafts.citations import Source, render
from wikitown.core.i18n import t
from wikitown.core.services import endpoint

ORDER = 60


def register(sub) -> None:
    p = sub.add_parser("cite", help="print a {{Cite book}} / {{Cite web}} citation for jawiki or enwiki")
    p.add_argument("--lang", choices=["ja", "en"], default="ja", dest="wiki_lang",
                   help="the target Wikipedia (ja: {{Cite book|和書}}, en: {{cite book}})")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--isbn")
    what.add_argument("--url")
    p.add_argument("--title", default="")
    p.add_argument("--author", default="")
    p.add_argument("--publisher", default="", help="the publisher (for a web page: the site's name)")
    p.add_argument("--year", default="")
    p.add_argument("--page", default="")
    p.add_argument("--access-date", default="", help="for web pages; default today")
    p.add_argument("--lookup", action="store_true", help="fill the book's details from NDL Search")
    p.set_defaults(func=_cite)


def _cite(args) -> int:
    if args.isbn:
        code = isbn_mod.validate(args.isbn)  # exits 1 naming the ISBN when it is wrong
        source = Source("book", args.title, authors=args.author, publisher=args.publisher, year=args.year,
                        isbn=args.isbn)
        if args.lookup:
            from wikitown.drafts import ndl

            found = ndl.lookup_isbn(code, endpoint=endpoint("ndl_search"))
            if found is None:
                print(t("citations.cli.not_found", args.lang, isbn=args.isbn), file=sys.stderr)
            else:
                # what the user typed wins over the catalogue
                for name in ("title", "authors", "publisher", "year"):
                    if not getattr(source, name):
                        setattr(source, name, getattr(found, name))
        if not source.title:
            print(t("citations.cli.no_title", args.lang), file=sys.stderr)
            return 1
    else:
        if not args.url.lower().startswith(("http://", "https://")):
            print(t("citations.cli.bad_url", args.lang, url=args.url), file=sys.stderr)
            return 1
        source = Source("web", args.title or args.url, authors=args.author, website=args.publisher,
                        year=args.year, url=args.url,
                        access_date=args.access_date or dt.date.today().isoformat())
    print(render(source, args.wiki_lang, page=args.page))
    return 0
