"""The photo pipeline: checks an uploaded photo, strips its metadata, stores a display and a thumbnail
JPEG under content-hash names, and resolves stored names safely for serving."""

from __future__ import annotations

import hashlib
import io
import math
import os
import secrets
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from shop.errors import N_, InvalidInput, NotFound, TooLarge

DISPLAY_MAX_SIDE = 1280
THUMB_MAX_SIDE = 320
MAX_PHOTO_BYTES = 5 * 1024 * 1024
# 50 MP admits the largest common phone sensors (8160×6120) and keeps a decode under ~150 MB of RAM on
# the secretary's old laptop. Pillow warns above this and refuses at twice it; we refuse above it.
MAX_PIXELS = 50_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

# JPEG rather than WebP: every phone browser and WeChat's in-app browser on old Android decodes it, and
# the secretary can download a stored photo and re-upload it to any platform's shop backend, which all
# take JPEG. Quality 82 progressive is indistinguishable from the original at these sizes, and a
# progressive file shows a full blurry preview early on slow rural 4G. Product photos are shown on white
# pages, so transparency is flattened onto white instead of keeping a heavier PNG.
JPEG_OPTIONS = {"quality": 82, "progressive": True, "optimize": True, "subsampling": "4:2:0"}
EXTENSION = "jpg"

# "MPO" is how Pillow names the JPEG files many phones write (a main image plus depth or preview frames).
_ACCEPTED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP"}
_OPENERS = ["JPEG", "PNG", "WEBP"]
_SIXTEEN_BIT_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}
_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))

NOT_A_PHOTO = N_("This file is not a JPEG, PNG or WebP photo.")
DAMAGED_PHOTO = N_("The photo could not be read; it may be damaged or only partly uploaded.")
TOO_MANY_PIXELS = N_("The photo has too many pixels; at most %(megapixels)d megapixels are accepted.")
PHOTO_TOO_LARGE = N_("The photo is larger than the %(limit)s MB limit.")


@dataclass(frozen=True)
class StoredPhoto:
    key: str
    display_path: str
    thumb_path: str
    width: int
    height: int
    thumb_width: int
    thumb_height: int
    bytes: int


def store_photo(data: bytes, media_dir: Path, *, max_bytes: int = MAX_PHOTO_BYTES) -> StoredPhoto:
    """Checks, re-encodes and stores one uploaded photo; storing the same photo again changes nothing.

    CPU-bound (a few hundred ms for a 12 MP photo): call it from a worker thread, not the event loop.
    """
    if len(data) > max_bytes:
        raise TooLarge(PHOTO_TOO_LARGE, field="photo", limit=f"{max_bytes / (1024 * 1024):g}")
    display = _display_image(data)
    thumb = display.copy()
    thumb.thumbnail((THUMB_MAX_SIDE, THUMB_MAX_SIDE), Image.Resampling.LANCZOS)
    display_bytes = _encode_jpeg(display)
    thumb_bytes = _encode_jpeg(thumb)

    # 128 bits of SHA-256 keep names short in URLs and are far beyond any chance of collision here.
    key = hashlib.sha256(display_bytes).hexdigest()[:32]
    display_path = f"{key[:2]}/{key}.{EXTENSION}"
    thumb_path = f"{key[:2]}/{key}-t.{EXTENSION}"
    # Thumbnail first: whoever sees the display file can count on its thumbnail being there too.
    _write_once(media_dir / thumb_path, thumb_bytes)
    _write_once(media_dir / display_path, display_bytes)
    return StoredPhoto(
        key=key,
        display_path=display_path,
        thumb_path=thumb_path,
        width=display.width,
        height=display.height,
        thumb_width=thumb.width,
        thumb_height=thumb.height,
        bytes=len(display_bytes),
    )


def media_file(media_dir: Path, relative: str) -> Path:
    """The file under ``media_dir`` that ``relative`` names, or NotFound for anything that would leave it."""
    if not relative or "\x00" in relative or "\\" in relative:
        raise NotFound()
    posix, windows = PurePosixPath(relative), PureWindowsPath(relative)
    if posix.is_absolute() or windows.is_absolute() or windows.drive:
        raise NotFound()
    # Dot-names cover "..", "." and the hidden temp files of writes still in progress.
    if any(not part or part.startswith(".") for part in relative.split("/")):
        raise NotFound()
    root = media_dir.resolve()
    # resolve() follows symlinks, so a link planted inside media_dir cannot point the server elsewhere.
    candidate = (root / posix).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        raise NotFound()
    return candidate


def _display_image(data: bytes) -> Image.Image:
    """Decodes the upload and returns it upright, in sRGB, flattened, at most DISPLAY_MAX_SIDE, without metadata."""
    try:
        image: Image.Image = Image.open(io.BytesIO(data), formats=_OPENERS)
    except Image.DecompressionBombError as exc:
        raise InvalidInput("photo", TOO_MANY_PIXELS, megapixels=MAX_PIXELS // 1_000_000) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput("photo", NOT_A_PHOTO) from exc
    if image.format not in _ACCEPTED_FORMATS:
        raise InvalidInput("photo", NOT_A_PHOTO)
    if image.width * image.height > MAX_PIXELS:
        raise InvalidInput("photo", TOO_MANY_PIXELS, megapixels=MAX_PIXELS // 1_000_000)

    icc_profile = image.info.get("icc_profile")
    try:
        # JPEG can decode straight at 1/2, 1/4 or 1/8 scale; keeping twice the target size, as
        # Image.thumbnail does, saves memory on big phone photos without a visible loss.
        scale = 2 * DISPLAY_MAX_SIDE / max(image.size)
        if scale < 1:
            image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))
        # Only the first frame of an animated PNG or WebP (and the main image of an MPO) is kept.
        image.load()
        image = ImageOps.exif_transpose(image)
        image = _plain_mode(image)
        image.thumbnail((DISPLAY_MAX_SIDE, DISPLAY_MAX_SIDE), Image.Resampling.LANCZOS)
        image = _flatten_onto_white(image)
        image = _to_srgb(image, icc_profile)
    except Image.DecompressionBombError as exc:
        raise InvalidInput("photo", TOO_MANY_PIXELS, megapixels=MAX_PIXELS // 1_000_000) from exc
    except Exception as exc:
        # Pillow's decoders answer hostile or broken files with a wide, undocumented range of
        # exceptions (OSError, SyntaxError, struct.error, IndexError…); all mean the upload is unusable.
        raise InvalidInput("photo", DAMAGED_PHOTO) from exc
    # Nothing of the original's metadata may travel on: EXIF carries GPS, and Pillow's JPEG writer
    # would otherwise copy a comment from here.
    image.info = {}
    return image


def _plain_mode(image: Image.Image) -> Image.Image:
    """RGB, L or CMYK, or RGBA when the picture has transparency."""
    if image.mode in _SIXTEEN_BIT_MODES:
        # Converting 16-bit greyscale straight to L clips everything bright to white; scale it instead.
        image = image.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    if image.has_transparency_data:
        return image.convert("RGBA")
    if image.mode in {"RGB", "L", "CMYK"}:
        return image
    return image.convert("RGB")


def _flatten_onto_white(image: Image.Image) -> Image.Image:
    if image.mode != "RGBA":
        return image
    background = Image.new("RGB", image.size, "white")
    background.paste(image, mask=image.getchannel("A"))
    return background


def _to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Converts tagged colours (an iPhone's Display P3, a print shop's CMYK) to sRGB, which browsers
    assume for an untagged file, so no profile needs to be embedded."""
    if icc_profile:
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
            converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            # A broken or mismatched profile is common in edited files; the pixels are still usable.
            converted = None
        if converted is not None:
            image = converted
    return image if image.mode in {"RGB", "L"} else image.convert("RGB")


def _encode_jpeg(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", **JPEG_OPTIONS)
    return buffer.getvalue()


def _write_once(path: Path, data: bytes) -> None:
    """Atomically writes ``data`` to ``path`` unless it is there already."""
    # The name is the content's hash, so an existing file already holds exactly these bytes.
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # 0o644 (under the umask) rather than mkstemp's 0o600, so a front web server may serve the file.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            # On disk before the rename, or a power cut could leave an empty file under the final name.
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
