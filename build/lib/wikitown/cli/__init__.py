"""``python -m wikitown``: the command line.

Each module in this package adds its subcommands with ``register(subparsers)``
and calls the same library functions as the app. Errors wikitown expects
(bad input, no network) are printed as one clear line, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from wikitown import __version__
from wikitown.core.errors import WikitownError
from wikitown.core.i18n import normalise_lang


def cli_lang() -> str:
    """The user's language: WIKITOWN_LANG, else the locale (ja_JP.UTF-8 -> ja), else English."""
    explicit = os.environ.get("WIKITOWN_LANG")
    if explicit:
        return normalise_lang(explicit)
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "ja" if value.lower().startswith("ja") else "en"
    return "en"


# Commands scripts run over thousands of files: only their own module is loaded, so the
# process starts in a fraction of the time all modules (SQLAlchemy, pandas ...) take.
FAST_COMMANDS = {"photo-info": "photos"}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m wikitown",
        description="wikitown: tools for Wikipedia-town (ウィキペディアタウン) and data-walk events.")
    parser.add_argument("--version", action="version", version=f"wikitown {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = []
    if only:
        modules.append(importlib.import_module(f"{__name__}.{only}"))
    for info in pkgutil.iter_modules(__path__) if not only else ():
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"{__name__}.{info.name}"))
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 50), m.__name__)):
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(FAST_COMMANDS.get(argv[0]) if argv else None)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    lang = cli_lang()
    args.lang = lang
    try:
        result = args.func(args)
    except WikitownError as exc:
        print(f"wikitown: {exc.message(lang)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("wikitown: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    return int(result or 0)
