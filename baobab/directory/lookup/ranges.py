"""Sorted, non-overlapping integer ranges for IP look-ups, and the IP → ASN table."""

from __future__ import annotations

import ipaddress
import socket
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

V = TypeVar("V")


# --- sorted integer ranges ---------------------------------------------------


@dataclass(slots=True, eq=False)
class RangeNode(Generic[V]):
    """One range of a :class:`RangeTable` and the range that encloses it."""

    first: int
    last: int
    value: V
    parent: RangeNode[V] | None = None
    memo: Any = None


class RangeTable(Generic[V]):
    """Nested or disjoint integer ranges, flattened into non-overlapping
    segments each carrying its most specific range, searched with bisect.

    A range that partly overlaps an earlier one, or repeats it exactly, is
    left out and counted in ``dropped``; callers merge equal ranges first.
    """

    __slots__ = ("_nodes", "_starts", "dropped", "size")

    def __init__(self, ranges: Iterable[tuple[int, int, V]]) -> None:
        starts: list[int] = []
        nodes: list[RangeNode[V] | None] = []
        stack: list[RangeNode[V]] = []
        dropped = size = 0

        def mark(position: int, node: RangeNode[V] | None) -> None:
            if starts and starts[-1] == position:
                nodes[-1] = node
            else:
                starts.append(position)
                nodes.append(node)

        for first, last, value in sorted(ranges, key=lambda item: (item[0], -item[1])):
            while stack and stack[-1].last < first:
                ended = stack.pop()
                mark(ended.last + 1, stack[-1] if stack else None)
            parent = stack[-1] if stack else None
            if parent is not None and (
                last > parent.last or (first == parent.first and last == parent.last)
            ):
                dropped += 1
                continue
            node = RangeNode(first, last, value, parent)
            mark(first, node)
            stack.append(node)
            size += 1
        while stack:
            ended = stack.pop()
            mark(ended.last + 1, stack[-1] if stack else None)
        self._starts = starts
        self._nodes = nodes
        self.dropped = dropped
        self.size = size

    def __len__(self) -> int:
        return self.size

    def find(self, value: int) -> RangeNode[V] | None:
        """The most specific range holding ``value``."""
        i = bisect_right(self._starts, value) - 1
        return self._nodes[i] if i >= 0 else None

    def covering(self, first: int, last: int) -> RangeNode[V] | None:
        """The most specific range holding all of ``first`` … ``last``."""
        node = self.find(first)
        while node is not None and node.last < last:
            node = node.parent
        return node

    def segments(self) -> tuple[list[int], list[V | None]]:
        """The flattened table for bulk look-ups: the sorted segment starts and
        the value of each segment's most specific range (None for a gap)."""
        return list(self._starts), [
            node.value if node is not None else None for node in self._nodes
        ]

    def values_between(self, first: int, last: int) -> list[V | None]:
        """The values of the segments meeting ``first`` … ``last`` (None for gaps)."""
        low = bisect_right(self._starts, first) - 1
        high = bisect_right(self._starts, last)
        found: list[V | None] = [] if low >= 0 else [None]
        found.extend(
            node.value if node is not None else None for node in self._nodes[max(low, 0) : high]
        )
        return found


def address_value(text: str) -> tuple[int, int] | None:
    """(IP version, integer) of an address in ``text``, or None."""
    try:
        if ":" in text:
            return 6, int.from_bytes(socket.inet_pton(socket.AF_INET6, text), "big")
        return 4, int.from_bytes(socket.inet_pton(socket.AF_INET, text), "big")
    except (OSError, ValueError):
        pass
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    return address.version, int(address)


def prefix_range(text: str) -> tuple[int, int, int]:
    """(version, first, last) of a prefix written ``address/length``."""
    address, _slash, length_text = text.partition("/")
    parsed = address_value(address)
    bits = 128 if parsed is not None and parsed[0] == 6 else 32
    if parsed is None or not length_text.isdigit() or int(length_text) > bits:
        network = ipaddress.ip_network(text, strict=False)  # raises ValueError
        return network.version, int(network.network_address), int(network.broadcast_address)
    host_mask = (1 << (bits - int(length_text))) - 1
    first = parsed[1] & ~host_mask
    return parsed[0], first, first | host_mask


class IpToAsn(Protocol):
    """What the index needs from an IP → ASN mapping (routing tables)."""

    def asn_for(self, version: int, value: int) -> int | None: ...

    def asn_covering(self, version: int, first: int, last: int) -> int | None: ...


class RoutingTable:
    """An IP → ASN mapping from announced prefixes (longest prefix wins)."""

    def __init__(self, routes: Iterable[tuple[str, int]]) -> None:
        per_version: dict[int, dict[tuple[int, int], int]] = {4: {}, 6: {}}
        for prefix, asn in routes:
            version, first, last = prefix_range(prefix)
            per_version[version].setdefault((first, last), asn)
        self._tables = {
            version: RangeTable((first, last, asn) for (first, last), asn in routes_.items())
            for version, routes_ in per_version.items()
        }

    def asn_for(self, version: int, value: int) -> int | None:
        """The origin AS of the most specific route holding the address."""
        node = self._tables[version].find(value)
        return node.value if node is not None else None

    def asn_covering(self, version: int, first: int, last: int) -> int | None:
        """The origin AS of the most specific route holding the whole range."""
        node = self._tables[version].covering(first, last)
        return node.value if node is not None else None
