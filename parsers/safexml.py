"""Parse the XML parts of an office package safely: DTDs refused, entities never expanded, no network, and never
more than MAX_LIVE_NODES nodes in memory (big parts are streamed, handing on one finished element at a time)."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Collection, Iterable, Iterator

from lxml import etree

from parsers.limits import (
    MAX_LIVE_NODES,
    STREAM_CHUNK,
    WHOLE_PART_BYTES,
    Deadline,
    LimitExceeded,
    member_chunks,
    node_cost,
    read_member,
    refuse_dtd,
)

_PARSERS = threading.local()
_SAFE = {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}

Batch = tuple[etree._Element, list[etree._Element]]
"""A container element and some of its children, each complete, in document order."""


def _xml_parser() -> etree.XMLParser:
    """One safe parser per thread (lxml parsers must not be shared between threads)."""
    parser: etree.XMLParser | None = getattr(_PARSERS, "parser", None)
    if parser is None:
        parser = etree.XMLParser(**_SAFE)
        _PARSERS.parser = parser
    return parser


def parse_xml(xml: bytes, part: str) -> etree._Element:
    """Parse one package part whole: DTDs refused outright, entities never resolved, no network, and a part that
    would build more than MAX_LIVE_NODES nodes refused as too large before lxml builds any."""
    refuse_dtd(xml, part)
    if len(xml) > MAX_LIVE_NODES and node_cost(xml) > MAX_LIVE_NODES:
        raise LimitExceeded(f"{part} holds more than {MAX_LIVE_NODES} XML nodes")
    return etree.fromstring(xml, _xml_parser())


def part_children(
    zf: zipfile.ZipFile, part: str, containers: Collection[str], deadline: Deadline
) -> Iterator[Batch]:
    """The children of the part's containers (the root element, or children of the root, whose tag is one of
    `containers`), in document order, in batches.

    A small part is parsed whole and each container's children come in one batch. A big one is streamed: after
    each chunk the children already complete are handed on and then dropped from the tree, as is every complete
    child of the root that is no container, so memory holds only what is still being read. Either way more than
    MAX_LIVE_NODES nodes in memory at once is LimitExceeded. The caller must be done with a batch before it asks
    for the next (its elements are emptied out of the tree then)."""
    if zf.getinfo(part).file_size <= WHOLE_PART_BYTES:
        xml = read_member(zf, part, deadline)
        if len(xml) <= MAX_LIVE_NODES or node_cost(xml) <= MAX_LIVE_NODES:
            yield from _Drain(containers, drop=False).batches(parse_xml(xml, part), final=True)
            return
        chunks: Iterable[bytes] = (xml[i : i + STREAM_CHUNK] for i in range(0, len(xml), STREAM_CHUNK))
    else:
        chunks = member_chunks(zf, part, deadline)
    yield from _stream(chunks, part, containers, deadline)


def _stream(chunks: Iterable[bytes], part: str, containers: Collection[str], deadline: Deadline) -> Iterator[Batch]:
    """Feed the chunks to a pull parser, handing on finished children between chunks (see part_children).

    Nodes held are counted from the chunks fed since something was last dropped: after a drop, all that is left
    began in the latest chunk (a finished sibling was dropped, so whatever is still open started after it)."""
    parser = etree.XMLPullParser(events=("start",), tag=sorted(containers), **_SAFE)
    drain = _Drain(containers, drop=True)
    root: etree._Element | None = None
    live = 0
    tail = b""
    for chunk in chunks:
        refuse_dtd(chunk, part)
        refuse_dtd(tail + chunk[:16], part)
        tail = chunk[-16:]
        cost = node_cost(chunk)
        live += cost
        parser.feed(chunk)
        for _, element in parser.read_events():
            if root is None:
                root = element.getroottree().getroot()
        if root is not None:
            dropped = drain.dropped
            yield from drain.batches(root, final=False)
            if drain.dropped != dropped:
                live = cost
        if live > MAX_LIVE_NODES:
            raise LimitExceeded(f"{part} holds more than {MAX_LIVE_NODES} XML nodes in one element")
        deadline.check()
    yield from drain.batches(parser.close(), final=True)


class _Drain:
    """Hands on the complete children of containers and, when dropping, removes them (and the root's complete
    non-container children) from the tree."""

    def __init__(self, containers: Collection[str], drop: bool) -> None:
        self.containers = containers
        self.drop = drop
        self.dropped = 0

    def batches(self, root: etree._Element, final: bool) -> Iterator[Batch]:
        if root.tag in self.containers:
            yield from self._hand_on(root, final)
            return
        if final and not self.drop:  # a whole tree: every container is complete
            for child in root:
                if child.tag in self.containers:
                    yield from self._hand_on(child, True)
            return
        child = next(iter(root), None)
        while child is not None:
            following = child.getnext()
            complete = final or following is not None
            if child.tag in self.containers:
                yield from self._hand_on(child, complete)
            if not complete:
                break
            if self.drop:
                root.remove(child)
                self.dropped += 1
            child = following

    def _hand_on(self, container: etree._Element, complete: bool) -> Iterator[Batch]:
        """The container's children known to be complete: all of them once the container is, else all but the last
        (which may still be growing)."""
        kids: list[etree._Element] = list(container)
        if not complete and kids:
            kids.pop()
        if not kids:
            return
        yield container, kids
        if self.drop:
            for kid in kids:
                container.remove(kid)
            self.dropped += len(kids)
