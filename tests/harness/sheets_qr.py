"""Reading the QR code printed on a team sheet (wikitown.walk.sheets puts it at a fixed place on
page 1): rendered by poppler's pdftoppm, sampled module by module, compared with the QR code of a
link built independently with the qrcode library."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from .requirements import need


def qr_modules(text: str) -> list[list[bool]]:
    import qrcode

    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.get_matrix()


def printed_qr(pdf: Path, size: int, dpi: int = 200) -> list[list[bool]]:
    """The ``size`` x ``size`` modules printed in the sheet's QR box (dark = True)."""
    from PIL import Image

    from wikitown.walk import sheets

    exe = need("pdftoppm")
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([exe, "-r", str(dpi), "-f", "1", "-l", "1", "-png", "-gray", str(pdf), f"{tmp}/p"], check=True)
        image = Image.open(next(Path(tmp).glob("p*.png"))).convert("L")
        image.load()
    scale = dpi / 72
    cell = sheets.QR_SIZE / size
    top = sheets.PAGE_H - sheets.QR_Y - sheets.QR_SIZE
    return [[image.getpixel((int((sheets.QR_X + (c + 0.5) * cell) * scale),
                             int((top + (r + 0.5) * cell) * scale))) < 128 for c in range(size)] for r in range(size)]


def sheet_encodes(pdf: Path, link: str) -> bool:
    expected = qr_modules(link)
    return printed_qr(pdf, len(expected)) == expected
