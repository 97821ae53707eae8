"""One intake for every uploaded file: the size limit from MAX_UPLOAD_MB, the type from the bytes, a safe name.

A domain says which types it takes (``PDF``, ``OFFICE``, ``IMAGES`` or a union) and what to tell the person
when the content is none of them; ``take_upload`` refuses with a ServiceError on the ``file`` field (empty,
too large, wrong content) and returns the checked ``Upload``. The file name the person's computer sent is
only ever shown back, never trusted for the type.
"""
from __future__ import annotations

import io
import unicodedata
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Optional

from flask import current_app, has_app_context

from kernel.errors import ServiceError
from kernel.i18n import service_gettext as _

PDF = {"application/pdf": "pdf"}
OFFICE = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/msword": "doc",
    "application/vnd.ms-excel": "xls",
    "application/vnd.ms-powerpoint": "ppt",
    # An old binary Office file whose kind (Word, Excel, PowerPoint) the container does not say.
    "application/x-ole-storage": "doc",
}
IMAGES = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}

_OOXML = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Upload:
    filename: str  # the sent name made safe to show and store (no path, no control characters)
    content_type: str  # from the bytes
    extension: str  # the real one, from the content type
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def max_upload_bytes() -> int:
    """The size limit of one file (MAX_UPLOAD_MB; the request limit adds room for the form around it)."""
    megabytes = current_app.config.get("MAX_UPLOAD_MB", 20) if has_app_context() else 20
    return int(megabytes) * 1024 * 1024


def read_upload(storage: Any) -> tuple[str, bytes]:
    """The name and bytes of a werkzeug FileStorage (or ("", b"") for none), reading one byte past the
    limit at most, so an oversized file is refused without being held whole."""
    if storage is None:
        return "", b""
    return storage.filename or "", storage.read(max_upload_bytes() + 1)


def sniff_type(data: bytes) -> Optional[str]:
    """The content type read from the bytes themselves (never the file name), or None when unknown."""
    import filetype

    kind = filetype.guess(data[:8192])
    mime = kind.mime if kind is not None else None
    if mime == "application/zip" or (mime is None and data[:4] == b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            return None
        for prefix, office in _OOXML.items():
            if "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names):
                return office
        return mime
    if mime is None and data[:8] == _OLE:
        return "application/x-ole-storage"
    return mime


def safe_filename(name: str, limit: int = 200) -> str:
    """The last part of a sent file name without control characters (NUL, newlines, bidi overrides)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in base if unicodedata.category(c) not in ("Cc", "Cf"))
    return base.strip()[:limit]


def take_upload(filename: str, data: bytes, allowed: Mapping[str, str], not_allowed: str) -> Upload:
    """Check one uploaded file; refuses (ServiceError on ``file``) when empty, too large or not ``allowed``."""
    name = safe_filename(filename)
    if not name:
        raise ServiceError(_("Choose a file."), "file")
    if not data:
        raise ServiceError(_("An empty file cannot be attached."), "file")
    limit = max_upload_bytes()
    if len(data) > limit:
        raise ServiceError(_("The file is too large (limit %(limit)s MB).", limit=limit // (1024 * 1024)), "file")
    mime = sniff_type(data)
    if mime is None or mime not in allowed:
        raise ServiceError(not_allowed, "file")
    return Upload(name, mime, allowed[mime], data)
