"""Run the command line in this process, as `python -m wikitown ARGS` would, and capture what it prints.

In-process runs are fast (no interpreter start, no re-import of pandas and SQLAlchemy) and
coverage sees them. The environment given is set for the call and restored afterwards."""
from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from unittest import mock

from tests.harness import PROJECT_ROOT


def run_cli(*args, env: dict | None = None, input: str | None = None, cwd=None, lang: str = "en",
            check: bool = False) -> subprocess.CompletedProcess:
    """``wikitown.cli.main(args)`` with ``WIKITOWN_LANG=lang`` and ``env``; returns exit code and output."""
    from wikitown.cli import main

    argv = [str(a) for a in args]
    # Text streams over bytes, as a real stdout is: commands that write bytes use .buffer.
    out, err = (io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True) for _ in range(2))
    environ = {"WIKITOWN_LANG": lang, **(env or {})}
    with mock.patch.dict(os.environ, environ), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), \
            mock.patch.object(sys, "stdin", io.StringIO(input or "")), contextlib.chdir(cwd or PROJECT_ROOT):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse: --help, --version, usage errors
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    out.flush(), err.flush()
    text = [stream.buffer.getvalue().decode("utf-8") for stream in (out, err)]
    result = subprocess.CompletedProcess(["wikitown", *argv], code, *text)
    if check and code != 0:
        raise AssertionError(f"exit {code}\n{result.stdout}\n{result.stderr}")
    return result
