"""Tell a file's format from its bytes (magic numbers, zip members, OLE streams), never from its name."""

from __future__ import annotations

import io
import zipfile

import olefile

from parsers.flatopc import is_flat_opc

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

_IMAGE_MAGICS = (
    b"\x89PNG\r\n\x1a\n",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)

WORD_FORMATS = frozenset({"docx", "docm"})
EXCEL_FORMATS = frozenset({"xlsx", "xlsm"})
CONVERTED_FORMATS = frozenset({"doc", "wps", "rtf", "wordml", "odt", "html"})
"""Formats read by converting to .docx with LibreOffice."""
LEGACY_SHEET_FORMATS = frozenset({"xls", "et", "ods"})
"""Formats read with python-calamine."""


def _suffix(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot + 1 :].lower() if dot >= 0 else ""


def detect(data: bytes, filename: str = "") -> str:
    """Return a short format code: docx, xlsx, doc, xls, wps, et, rtf, wordml, flatopc, odt, ods, pdf, image, zip, ...

    The name only refines a label the content already decided (a Word binary named .wps is Kingsoft's "wps").
    """
    head = data[:8]
    if head.startswith(ZIP_MAGICS):
        return _detect_zip(data)
    if head.startswith(OLE_MAGIC):
        return _detect_ole(data, filename)
    if head.startswith(b"%PDF") or data[:1024].lstrip().startswith(b"%PDF"):
        return "pdf"
    if head.startswith(_IMAGE_MAGICS) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    text_head = _text_head(data)
    if text_head.startswith("{\\rtf"):
        return "rtf"
    if text_head.startswith("<?xml") or text_head.startswith("<"):
        lowered = text_head[:4096].lower()
        if "schemas.microsoft.com/office/word/2003/wordml" in lowered or "<w:worddocument" in lowered:
            return "wordml"
        if is_flat_opc(lowered):
            return "flatopc"
        if "<html" in lowered or "<!doctype html" in lowered:
            return "html"
    return "unknown"


def _text_head(data: bytes) -> str:
    head = data[:8192]
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, errors="ignore").lstrip()
    return head.decode("latin-1").lstrip()


def _detect_zip(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return detect_package(zf)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return "zip-corrupt"


def detect_package(zf: zipfile.ZipFile) -> str:
    """docx/docm, xlsx/xlsm, odt/ods or a plain zip, from the members (and [Content_Types].xml when needed)."""
    names = zf.NameToInfo
    if "mimetype" in names and names["mimetype"].file_size < 200:
        mimetype = zf.read("mimetype").decode("ascii", errors="ignore").strip()
        if mimetype.endswith("opendocument.text"):
            return "odt"
        if mimetype.endswith("opendocument.spreadsheet"):
            return "ods"
    word, excel = "word/document.xml" in names, "xl/workbook.xml" in names
    macros = "word/vbaProject.bin" in names or "xl/vbaProject.bin" in names
    content_types = ""
    types = names.get("[Content_Types].xml")
    if (macros or not (word or excel)) and types is not None and types.file_size < 1_000_000:
        content_types = zf.read("[Content_Types].xml").decode("utf-8", errors="ignore")
    if word or "wordprocessingml.document" in content_types or "ms-word.document" in content_types:
        return "docm" if "macroEnabled" in content_types else "docx"
    if excel or "spreadsheetml.sheet" in content_types or "ms-excel.sheet" in content_types:
        return "xlsm" if "macroEnabled" in content_types else "xlsx"
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("xl/") for name in names):
        return "xlsx"
    return "zip"


def _detect_ole(data: bytes, filename: str) -> str:
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            streams = {"/".join(entry).lower() for entry in ole.listdir(streams=True, storages=True)}
    except (OSError, ValueError, IndexError, TypeError, AttributeError):
        return "ole-corrupt"
    suffix = _suffix(filename)
    if "encryptioninfo" in streams and "encryptedpackage" in streams:
        return "ooxml-encrypted"
    if "worddocument" in streams:
        return "wps" if suffix == "wps" else "doc"
    if "workbook" in streams or "book" in streams:
        return "et" if suffix == "et" else "xls"
    if "__substg1.0_0037001f" in streams or any(s.startswith("__properties_version1.0") for s in streams):
        return "msg"
    return "ole"
