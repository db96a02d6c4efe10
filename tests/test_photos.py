"""wikitown.finds.photos: type from bytes, EXIF with fallbacks, validation, the publish copy."""

import io

import pytest
from PIL import Image

from tests.photo_samples import sample_photo
from tests.photo_samples import FILE_TYPES, encoded, expected, expected_names, jpeg, png_bomb
from wikitown.finds.photos import (MAX_PIXELS, PhotoRejected, _jpeg_segments, detect_format, prepare_photo,
                             read_photo, safe_name)

MB = 1024 * 1024


def _exif_taken(text):
    return text.replace(":", "-", 2).replace(" ", "T") if text else None


@pytest.mark.parametrize("name", expected_names())
def test_shared_photo_matches_exiftool(name):
    want = expected()[name]
    info = read_photo(sample_photo(name))
    assert info.error is None, info.error
    assert info.format == FILE_TYPES[want["file_type"]]
    if want["lat"] is None:
        assert info.lat is None and info.lon is None
    else:
        assert info.lat == pytest.approx(want["lat"], abs=1e-5)
        assert info.lon == pytest.approx(want["lon"], abs=1e-5)
    if want["taken"]:  # DateTimeOriginal (EXPECTED.json); other sources: test_capture_times_agree_with_exiftool
        assert (info.taken or "")[:19] == _exif_taken(want["taken"])
        assert info.taken_at_source == "EXIF:DateTimeOriginal"
    else:
        assert info.taken_at_source != "EXIF:DateTimeOriginal"
    assert info.orientation == want["orientation"]


def test_same_answers_from_bytes_and_from_path():
    path = sample_photo("exifr", "heic-iphone7.heic")
    assert read_photo(path.read_bytes()).as_json() | {"file": ""} == read_photo(path).as_json() | {"file": ""}


@pytest.mark.parametrize("head,fmt", [
    (b"\xff\xd8\xff\xe0", "jpeg"), (b"\x89PNG\r\n\x1a\n", "png"), (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "webp"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heic"),
    (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "heif"),
    (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "avif"),
    (b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2", None),  # an MP4 video
    (b"GIF89a", "gif"), (b"%PDF-1.7", None), (b"", None), (b"hello world", None),
])
def test_detect_format_from_bytes(head, fmt):
    assert detect_format(head) == fmt


def test_type_comes_from_bytes_not_the_name(tmp_path):
    fake = tmp_path / "photo.jpg"
    fake.write_bytes(b"<html><script>alert(1)</script></html>")
    info = read_photo(fake)
    assert info.format is None and info.error_key == "finds.reject.not_image"
    png = tmp_path / "really-a-png.jpg"
    png.write_bytes(encoded("PNG"))
    assert read_photo(png).format == "png"


@pytest.mark.parametrize("data,key", [
    (b"", "finds.reject.empty"),
    (b"just text", "finds.reject.not_image"),
    (b"GIF89a" + b"\x00" * 20, "finds.reject.unsupported"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "finds.reject.corrupt"),  # a JPEG cut off in its header
])
def test_bad_files_give_an_error_not_an_exception(data, key):
    info = read_photo(data, name="x")
    assert info.error and info.error_key == key
    assert info.lat is None


def test_unreadable_path_is_an_error(tmp_path):
    info = read_photo(tmp_path / "missing.jpg")
    assert info.error_key == "finds.reject.unreadable"


def test_zero_over_zero_and_out_of_range_gps_are_no_gps():
    zero = {1: "N", 2: (0, 0, 0), 3: "E", 4: (0, 0, 0)}  # 0/0 rationals written as 0
    from PIL.TiffImagePlugin import IFDRational

    nan = {1: "N", 2: (IFDRational(0, 0),) * 3, 3: "E", 4: (IFDRational(0, 0),) * 3}
    far = {1: "N", 2: (95, 0, 0), 3: "E", 4: (10, 0, 0)}
    lon = {1: "N", 2: (35, 0, 0), 3: "E", 4: (181, 0, 0)}
    for gps in (zero, nan, far, lon):
        info = read_photo(jpeg(raw_gps=gps))
        assert info.error is None and info.lat is None and info.lon is None, gps


def test_southern_western_hemisphere():
    info = read_photo(jpeg(lat=-33.8568, lon=-70.6483))
    assert info.lat == pytest.approx(-33.8568, abs=1e-5) and info.lon == pytest.approx(-70.6483, abs=1e-5)


@pytest.mark.parametrize("fmt,name", [("WEBP", "webp"), ("HEIF", "heic"), ("AVIF", "avif"), ("PNG", "png")])
def test_other_formats_with_gps(fmt, name):
    # pillow-heif's HEIC makes exifread raise; WebP EXIF is often missed: Pillow must take over.
    data = encoded(fmt, lat=34.894452, lon=138.322446, taken="2026:11:28 10:30:00")
    info = read_photo(data)
    assert info.format == name and info.error is None
    assert info.lat == pytest.approx(34.894452, abs=1e-5) and info.lon == pytest.approx(138.322446, abs=1e-5)
    assert info.taken == "2026-11-28T10:30:00"


def test_invalid_date_is_no_date():
    assert read_photo(jpeg(taken="0000:00:00 00:00:00")).taken is None


def test_safe_name_is_never_a_path():
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Users\\x\\IMG\x00_1.jpg") == "IMG_1.jpg"
    assert safe_name("") == "photo"
    assert safe_name(".hidden") == "hidden"


# --------------------------------------------------------------------------------------------
# prepare_photo: validation and the publish copy


def _exif_of(data):
    im = Image.open(io.BytesIO(data))
    exif = im.getexif()
    return im, exif, exif.get_ifd(0x8769), exif.get_ifd(0x8825)


def test_publish_copy_strips_device_identifiers_keeps_gps_and_date():
    data = jpeg(size=(80, 40), lat=34.894452, lon=138.322446, taken="2026:11:28 10:30:00", serial="SN-123456",
                owner="Owner Name", artist="Taro Private", maker_note=b"MAKERNOTE-SECRET" * 4)
    assert b"SN-123456" in data and b"MAKERNOTE-SECRET" in data
    photo = prepare_photo(data, "p.jpg", max_bytes=MB)
    for secret in (b"SN-123456", b"Owner Name", b"Taro Private", b"MAKERNOTE-SECRET"):
        assert secret not in photo.publish
    im, exif, sub, gps = _exif_of(photo.publish)
    assert im.format == "JPEG"
    assert 0xA431 not in sub and 0xA430 not in sub and 0x927C not in sub and 0x013B not in exif
    assert sub[0x9003] == "2026:11:28 10:30:00"
    info = read_photo(photo.publish)
    assert info.lat == pytest.approx(34.894452, abs=1e-5) and info.taken == "2026-11-28T10:30:00"
    # Orientation 1: the camera's own compressed pixels are kept, byte for byte.
    scan = [seg for marker, seg in _jpeg_segments(data) if marker == 0xDA][0]
    assert scan in photo.publish
    thumb = Image.open(io.BytesIO(photo.thumb))
    assert thumb.format == "JPEG" and not thumb.getexif()


def test_images_appended_after_the_photo_are_not_published():
    # Phones append more JPEGs (MPF depth maps, gain maps) after the first image, each with EXIF.
    main = jpeg(size=(80, 40), lat=35.0, lon=139.0, seed=1)
    appended = jpeg(size=(16, 16), serial="SN-IN-GAIN-MAP", seed=2)
    for progressive in (False, True):
        if progressive:
            buf = io.BytesIO()
            Image.open(io.BytesIO(main)).save(buf, "JPEG", progressive=True, exif=Image.open(io.BytesIO(main)).info["exif"])
            main = buf.getvalue()
        photo = prepare_photo(main + appended, "mpf.jpg", max_bytes=MB)
        assert b"SN-IN-GAIN-MAP" not in photo.publish
        assert photo.publish.endswith(b"\xff\xd9") and photo.publish.count(b"\xff\xd8") == 1
        im = Image.open(io.BytesIO(photo.publish))
        im.load()
        assert im.size == (80, 40)


def test_orientation_is_applied_in_the_publish_copy():
    data = jpeg(size=(80, 40), orientation=6, lat=35.0, lon=139.0, serial="SN-9")
    photo = prepare_photo(data, "rot.jpg", max_bytes=MB)
    im, exif, _, _ = _exif_of(photo.publish)
    assert im.size == (40, 80)  # rotated 90°
    assert exif.get(0x0112) == 1
    assert b"SN-9" not in photo.publish
    assert read_photo(photo.publish).lat == pytest.approx(35.0, abs=1e-5)


def test_heic_becomes_jpeg_with_gps_and_date():
    data = sample_photo("exifr", "heic-iphone7.heic").read_bytes()
    photo = prepare_photo(data, "IMG_0001.HEIC", max_bytes=50 * MB)
    assert photo.info.format == "heic" and photo.ext == "heic"
    info = read_photo(photo.publish, dimensions=True)
    assert info.format == "jpeg"
    assert info.lat == pytest.approx(38.0466417, abs=1e-5) and info.lon == pytest.approx(12.9944111, abs=1e-5)
    assert info.taken.startswith("2019-10-20T18:34:30")
    assert (info.width, info.height) == (photo.info.width, photo.info.height)


def test_invalid_gps_is_not_published():
    data = sample_photo("exifr", "broken1.jpg").read_bytes()  # GPS rationals 0/0
    photo = prepare_photo(data, "b.jpg", max_bytes=MB)
    _, _, _, gps = _exif_of(photo.publish)
    assert not gps


def test_too_large_is_rejected_before_decoding():
    with pytest.raises(PhotoRejected) as err:
        prepare_photo(jpeg(), "big.jpg", max_bytes=100)
    assert err.value.key == "finds.reject.too_large"


def test_decompression_bomb_is_rejected():
    with pytest.raises(PhotoRejected) as err:
        prepare_photo(png_bomb(), "bomb.png", max_bytes=MB)
    assert err.value.key == "finds.reject.bomb"
    side = int(MAX_PIXELS ** 0.5) + 100
    with pytest.raises(PhotoRejected) as err:
        prepare_photo(png_bomb(side, side), "bomb2.png", max_bytes=MB)
    assert err.value.key == "finds.reject.bomb"


def test_truncated_jpeg_is_rejected_as_corrupt():
    data = sample_photo("yaizu", "9_jorakuji_gps.jpg").read_bytes()
    cut = data[: len(data) * 2 // 3]
    assert read_photo(cut).lat is not None  # the header is intact...
    with pytest.raises(PhotoRejected) as err:  # ...but the pixels are not
        prepare_photo(cut, "cut.jpg", max_bytes=MB)
    assert err.value.key == "finds.reject.corrupt"
    assert "cut.jpg" in err.value.message("en")


@pytest.mark.parametrize("name", ["exif-py/jpg_corrupted.jpg", "exifr/broken1.jpg", "exiftool/RIFF.webp",
                                  "yaizu/12-a_hoshakuji_jizo_noexif.png", "exif-rs/exif.heic"])
def test_odd_real_files_still_make_a_publish_jpeg(name):
    photo = prepare_photo(sample_photo(name).read_bytes(), name, max_bytes=50 * MB)
    assert Image.open(io.BytesIO(photo.publish)).format == "JPEG"
    _, exif, sub, _ = _exif_of(photo.publish)
    assert 0x013B not in exif and 0x927C not in sub  # no Artist, no maker notes


def test_embedded_author_in_utf8_reads_as_written():
    """EXIF Artist is UTF-8 in practice; Pillow hands it over as Latin-1 ('GarcÃ\xada')."""
    import io as _io

    from PIL import Image as _Image

    im = _Image.new("RGB", (800, 600))
    exif = im.getexif()
    exif[0x013B] = "Juan García 山田".encode("utf-8")
    buf = _io.BytesIO()
    im.save(buf, "JPEG", exif=exif)
    assert read_photo(buf.getvalue()).authors["EXIF:Artist"] == "Juan García 山田"
