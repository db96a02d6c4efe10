"""Bulk import after the walk: originals copied from phones or a camera card, as
files, folders or ZIP archives. Each photo becomes a find matched by its EXIF GPS
(the same matching as uploads; without GPS it waits in the queue).

ZIP members are read into memory one at a time, never extracted by name, so a
member called ``../../etc/passwd`` or an absolute path cannot write anywhere;
members larger than the upload limit, with an absurd compression ratio, or
beyond the archive's total budget are refused (zip bombs).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import stat
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from wikitown.finds.capture import IMPORT_PREFIX, FileResult, get_participant, join_event, submit_find
from wikitown.finds.photos import safe_name

MAX_RATIO = 200  # JPEG/HEIC barely compress: a member that shrinks 200-fold is not a photo
MAX_ZIP_TOTAL = 20 * 1024 ** 3  # uncompressed bytes read from one archive
MAX_MEMBERS = 20_000
IMPORT_KEY = "import_participant:"  # + sha256(credit, wiki user) -> participant id, in the store's kv


@dataclass
class ImportSummary:
    files: list[FileResult] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)  # accepted/duplicate/rejected
    matches: Counter = field(default_factory=Counter)  # matched/queue/assigned

    def add(self, result: FileResult, match_status: str | None = None) -> None:
        self.files.append(result)
        self.statuses[result.status] += 1
        if result.status == "accepted" and match_status:
            self.matches[match_status] += 1


def _rejected(name: str, key: str, **params) -> tuple[str, bytes | None, FileResult]:
    return name, None, FileResult(safe_name(name), "rejected", key, params)


def iter_sources(paths: list[Path | str], max_bytes: int) -> Iterator[tuple[str, bytes | None, FileResult | None]]:
    """(display name, bytes, None) for each candidate file, or (name, None, rejection)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for root, dirs, names in os.walk(path, followlinks=False):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    if not name.startswith("."):
                        yield from _from_file(Path(root) / name, max_bytes, label=str(Path(root, name).relative_to(path)))
        elif path.exists() or path.is_symlink():
            yield from _from_file(path, max_bytes, label=path.name)  # only a regular file is read
        else:
            yield _rejected(str(raw), "finds.reject.missing")


def _from_file(path: Path, max_bytes: int, label: str):
    if path.is_symlink():
        yield _rejected(label, "finds.reject.symlink")
        return
    try:
        info = path.lstat()
        if not stat.S_ISREG(info.st_mode):
            # A named pipe, socket or device: opening it would wait forever (or read forever).
            yield _rejected(label, "security.finds.not_regular")
            return
        size = info.st_size
        if zipfile.is_zipfile(path):
            yield from _from_zip(path, max_bytes, label)
            return
        if size > max_bytes:
            yield _rejected(label, "finds.reject.too_large", size_mb=f"{size / 1e6:.1f}", max_mb=f"{max_bytes / 1e6:.0f}")
            return
        yield label, path.read_bytes(), None
    except OSError as exc:
        yield _rejected(label, "finds.reject.unreadable", reason=exc.strerror or str(exc))


def _from_zip(path: Path, max_bytes: int, label: str):
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield _rejected(label, "finds.reject.bad_zip", reason=str(exc))
        return
    total = 0
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if len(members) > MAX_MEMBERS:
            yield _rejected(label, "finds.reject.zip_bomb", reason=f"{len(members)} members")
            return
        for member in members:
            name = f"{label}:{safe_name(member.filename)}"
            base = member.filename.replace("\\", "/").rsplit("/", 1)[-1]
            if base.startswith(".") or "__MACOSX/" in member.filename:
                continue
            if member.flag_bits & 0x1:
                yield _rejected(name, "finds.reject.encrypted")
                continue
            if member.file_size > max_bytes:
                yield _rejected(name, "finds.reject.too_large", size_mb=f"{member.file_size / 1e6:.1f}",
                                max_mb=f"{max_bytes / 1e6:.0f}")
                continue
            if member.compress_size and member.file_size / member.compress_size > MAX_RATIO and member.file_size > 1_000_000:
                yield _rejected(name, "finds.reject.zip_bomb", reason=f"ratio {member.file_size // member.compress_size}")
                continue
            if total + member.file_size > MAX_ZIP_TOTAL:
                yield _rejected(name, "finds.reject.zip_bomb", reason="archive total")
                return
            try:
                with archive.open(member) as fh:
                    data = fh.read(max_bytes + 1)  # the header's size may lie: never read more than allowed
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as exc:
                yield _rejected(name, "finds.reject.bad_zip", reason=str(exc))
                continue
            if len(data) > max_bytes:
                yield _rejected(name, "finds.reject.too_large", size_mb=">" + f"{max_bytes / 1e6:.0f}",
                                max_mb=f"{max_bytes / 1e6:.0f}")
                continue
            total += len(data)
            yield name, data, None


def import_photos(event, paths: list[Path | str], *, credit: str, licence: str | None = None,
                  wiki_user: str = "", progress=None) -> ImportSummary:
    """Import every photo under ``paths`` as its own find credited to ``credit``."""
    pid = import_participant(event, credit, licence or event.config.licence, wiki_user)
    summary = ImportSummary()
    max_bytes = int(event.config.max_upload_mb * 1024 * 1024)
    for name, data, rejection in iter_sources(paths, max_bytes):
        if rejection is not None:
            summary.add(rejection)
        else:
            from wikitown.store.media import sha1_hex

            result = submit_find(event, pid, [(name, data)], client_key=f"import:{sha1_hex(data)}")
            for file_result in result.files:
                file_result.name = safe_name(name.replace("/", "／"))
                summary.add(file_result, result.match_status)
        if progress:
            progress(summary)
    return summary


def import_participant(event, credit: str, licence: str, wiki_user: str = "") -> str:
    """The participant an organizer's import is credited to: one per (credit, wiki user), found
    again on the next import through a mapping in the store. The id itself is random: one derived
    from the public credit could be typed into the participant page to act in that person's name
    (and the page refuses imported ids anyway: they have no phone session)."""
    key = IMPORT_KEY + hashlib.sha256(f"{credit}\x1f{wiki_user}".encode()).hexdigest()
    pid = event.store.get_kv(key)
    if not pid:
        legacy = "import-" + hashlib.sha1(f"{credit}\x1f{wiki_user}".encode()).hexdigest()[:16]
        pid = legacy if get_participant(event, legacy) else IMPORT_PREFIX + secrets.token_urlsafe(18)
    pid = join_event(event, credit, licence, wiki_user=wiki_user, participant_id=pid)
    event.store.set_kv(key, pid)
    return pid
