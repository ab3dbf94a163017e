"""Rebuild an office package from Flat OPC XML (one XML file holding every part inline), so the .docx reader reads it.

Party-building and OA systems written in Java export Word documents from Freemarker templates as Flat OPC
(`<?mso-application progid="Word.Document"?>` + `<pkg:package>`, binary parts base64) and save them with a .doc or
.xml name. LibreOffice 7.4 imports such a file as plain text, so it is read here directly: each pkg:part becomes a
zip member (XML parts serialised back, binary parts decoded), [Content_Types].xml is made from the parts' content
types, and the zip goes the normal package way. The XML is parsed by parsers/safexml.py (no DTD, no entities, a
node cap); names are checked so that no part escapes the package or appears twice.
"""

from __future__ import annotations

import base64
import binascii
import io
import posixpath
import zipfile
from xml.sax.saxutils import quoteattr

from lxml import etree

from parsers.limits import MAX_MEMBERS, MAX_PART_BYTES, MAX_TOTAL_BYTES, Deadline, HostileContent, LimitExceeded
from parsers.safexml import parse_xml

PKG_NS = "http://schemas.microsoft.com/office/2006/xmlPackage"
_PACKAGE = f"{{{PKG_NS}}}package"
_PART = f"{{{PKG_NS}}}part"
_NAME = f"{{{PKG_NS}}}name"
_CONTENT_TYPE = f"{{{PKG_NS}}}contentType"
_XML_DATA = f"{{{PKG_NS}}}xmlData"
_BINARY_DATA = f"{{{PKG_NS}}}binaryData"
_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"


class NotFlatOpc(ValueError):
    """The XML is no pkg:package (or holds no part): not a file this reader knows."""


def is_flat_opc(text_head: str) -> bool:
    """Whether the start of an XML file (decoded, lowered) is a Flat OPC package."""
    return "<pkg:package" in text_head or PKG_NS.lower() in text_head


def package_from_flat_opc(data: bytes, deadline: Deadline) -> bytes:
    """The zip package (stored, not compressed) that the Flat OPC XML describes."""
    root = parse_xml(data, "flat OPC package")
    if root.tag != _PACKAGE:
        raise NotFlatOpc(f"root element is {root.tag!r}, not pkg:package")
    out = io.BytesIO()
    seen: set[str] = set()
    types: list[tuple[str, str]] = []
    total = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        for part in root.iterchildren(_PART):
            name = _member_name(part.get(_NAME, ""), seen)
            payload = _payload(part, name)
            total += len(payload)
            if len(payload) > MAX_PART_BYTES or total > MAX_TOTAL_BYTES:
                raise LimitExceeded(f"flat OPC part {name!r} takes the package past its size cap")
            if len(seen) > MAX_MEMBERS:
                raise LimitExceeded(f"flat OPC package has more than {MAX_MEMBERS} parts")
            zf.writestr(name, payload)
            types.append((name, part.get(_CONTENT_TYPE, "application/octet-stream")))
            deadline.check()
        if not types:
            raise NotFlatOpc("the package holds no part")
        zf.writestr("[Content_Types].xml", _content_types(types))
    return out.getvalue()


def _member_name(raw: str, seen: set[str]) -> str:
    """A part name as a zip member name: absolute in the package, normalised, inside it, and new."""
    name = posixpath.normpath("/" + raw.strip().lstrip("/")).lstrip("/")
    if not raw.strip() or name in {"", "."} or name.startswith("..") or name.lower() == "[content_types].xml":
        raise HostileContent(f"flat OPC part name {raw!r} is not a part of the package")
    if name in seen:
        raise HostileContent(f"flat OPC part {name!r} appears twice")
    seen.add(name)
    return name


def _payload(part: etree._Element, name: str) -> bytes:
    xml = part.find(_XML_DATA)
    if xml is not None:
        children = [child for child in xml if isinstance(child.tag, str)]
        if len(children) != 1:
            raise NotFlatOpc(f"flat OPC part {name!r} holds {len(children)} root elements")
        return bytes(etree.tostring(children[0], xml_declaration=True, encoding="UTF-8", standalone=True))
    binary = part.find(_BINARY_DATA)
    if binary is not None:
        try:
            return base64.b64decode("".join((binary.text or "").split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise NotFlatOpc(f"flat OPC part {name!r} is not valid base64: {exc}") from None
    return b""


def _content_types(types: list[tuple[str, str]]) -> bytes:
    overrides = "".join(
        f"<Override PartName={quoteattr('/' + name)} ContentType={quoteattr(ctype)}/>" for name, ctype in types
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="{_TYPES_NS}">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Default Extension="xml" ContentType="application/xml"/>{overrides}</Types>'
    ).encode()
