"""The parsers Baobab ships: every module of this package that defines
:class:`~baobab.pipeline.parsers.base.Parser` subclasses with a ``name``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from baobab.pipeline.parsers.base import Parser

# Modules of this package that hold helpers, not parsers.
_NOT_PARSERS = frozenset({"base", "tabular"})


class UnknownParserError(ValueError):
    """A parser name Baobab does not know (``valid`` lists the known ones)."""

    def __init__(self, name: str, valid: list[str]) -> None:
        self.name, self.valid = name, valid
        super().__init__(f"{name!r} is not a parser. Valid parsers: {', '.join(valid)}.")


@cache
def registry() -> dict[str, type[Parser]]:
    """Every parser class by name."""
    found: dict[str, type[Parser]] = {}
    for module_info in pkgutil.iter_modules(__path__):
        if module_info.name in _NOT_PARSERS or module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, Parser)
                and value is not Parser
                and getattr(value, "name", None)
                and value.__module__ == module.__name__
            ):
                if value.name in found:
                    raise RuntimeError(f"two parsers are named {value.name!r}")
                found[value.name] = value
    return dict(sorted(found.items()))


def get_parser(name: str) -> Parser:
    """A parser by name; :class:`UnknownParserError` lists the valid names."""
    parser_class = registry().get(name)
    if parser_class is None:
        raise UnknownParserError(name, list(registry()))
    return parser_class()
