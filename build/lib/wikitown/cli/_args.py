"""Argument types shared by the commands (a module starting with _ is not a command)."""

from __future__ import annotations

import argparse

from wikitown.core.geo import parse_latlon


def latlon(text: str) -> tuple[float, float]:
    """``LAT,LON`` for argparse: a usage error naming the problem, not a traceback."""
    try:
        return parse_latlon(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
