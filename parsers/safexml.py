"""Parse one XML part of an office package safely: DTDs refused, entities never expanded, no network."""

from __future__ import annotations

import threading

from lxml import etree

from parsers.limits import refuse_dtd

_PARSERS = threading.local()


def _xml_parser() -> etree.XMLParser:
    """One safe parser per thread (lxml parsers must not be shared between threads)."""
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        _PARSERS.parser = parser
    return parser


def parse_xml(xml: bytes, part: str) -> etree._Element:
    """Parse one package part safely: DTDs refused outright, entities never resolved, no network."""
    refuse_dtd(xml, part)
    return etree.fromstring(xml, _xml_parser())
