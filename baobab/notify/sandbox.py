"""The sandbox message templates are rendered in (Jinja syntax): a team's
own template sees only plain data and can neither reach Python's internals
nor exhaust the worker.

The sandbox has no globals (no ``range``, ``cycler`` …), a short list of
filters and callable methods, and refuses an unknown variable. Every loop
step, call, filter and operator is counted against a budget of steps, time
and characters made, and no single value may outgrow the output limit: the
operators and filters that multiply text (``*``, ``**``, ``center``,
``replace`` …) are checked before they run. Any problem becomes a
:class:`TemplateProblem` with a one-line message and its line number.
"""

from __future__ import annotations

import functools
import inspect
import time
import traceback
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, TypeVar

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes, pass_context
from jinja2.defaults import DEFAULT_FILTERS
from jinja2.environment import Template
from jinja2.runtime import BlockReference, Context, LoopContext, Macro, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.visitor import NodeTransformer

MAX_SOURCE = 20_000  # characters of one template
MAX_OUTPUT = 200_000  # characters of one rendered text, and of any value made on the way
MAX_MADE = 10 * MAX_OUTPUT  # characters a render may make in all
MAX_STEPS = 200_000  # loop steps, calls, filters and operators of one render
MAX_SECONDS = 5.0
MAX_NUMBER_BITS = 64  # for the results of * and ** on integers


_T = TypeVar("_T")


class TemplateProblem(ValueError):  # noqa: N818 (the name callers know)
    """A template that does not render; ``str()`` is one line for the editor."""

    def __init__(self, part: str, line: int | None, message: str) -> None:
        self.part = part
        self.line = line
        self.message = message
        where = f"{part}, line {line}" if line else part
        super().__init__(f"{where}: {message}")


# --- The budget of one render -------------------------------------------------


@dataclass(slots=True)
class _Budget:
    deadline: float
    steps: int = 0
    made: int = 0


_BUDGET: ContextVar[_Budget | None] = ContextVar("baobab_template_budget", default=None)


def _spend(made: int = 0) -> None:
    """Count one step making ``made`` characters (nothing while compiling)."""
    budget = _BUDGET.get()
    if budget is None:
        return
    budget.steps += 1
    budget.made += made
    if budget.steps > MAX_STEPS or (budget.steps % 512 == 0 and time.monotonic() > budget.deadline):
        raise SecurityError("the template does too much work")
    if budget.made > MAX_MADE:
        raise SecurityError(f"the template makes more than {MAX_MADE:,} characters of text")


def _size(value: object, limit: int = MAX_OUTPUT) -> int:
    """About the length of ``str(value)``, counted no further than past ``limit``."""
    if isinstance(value, Undefined):
        return 0  # it raises its own error once written
    if isinstance(value, str):
        return len(value)
    if isinstance(value, Mapping):
        value = list(value.items())
    if isinstance(value, Collection):
        total = 2
        for item in value:
            inner = 4 * len(item) + 2 if isinstance(item, str) else _size(item, limit - total)
            total += 2 + inner
            if total > limit:
                break
        return total
    if isinstance(value, int):
        return value.bit_length() // 3 + 2
    return 32


def _too_long(what: str) -> SecurityError:
    return SecurityError(f"{what} would be longer than {MAX_OUTPUT:,} characters")


def _made(value: _T) -> _T:
    """Count a value the template made; refuse one that is too long."""
    if isinstance(value, str | Collection) and not isinstance(value, Undefined):
        if len(value) > MAX_OUTPUT:
            raise _too_long("a value")
        _spend(made=len(value))
    else:
        _spend()
    return value


def _check_arguments(values: Iterable[object]) -> None:
    """Refuse arguments a call or filter could blow up (``center(10**9)``)."""
    for value in values:
        if isinstance(value, int) and abs(value) > MAX_OUTPUT:
            raise SecurityError(f"the number {value} is too large here")
        if _size(value) > MAX_OUTPUT:
            raise _too_long("an argument")


def _is_int(value: object) -> bool:
    return isinstance(value, int)


def _check_binop(operator: str, left: Any, right: Any) -> None:
    """Refuse ``+ * ** %`` whose result would be too large, before computing it."""
    sequences = (str, list, tuple)
    length = bits = 0
    if operator == "%" and isinstance(left, str):
        raise SecurityError("formatting text with % is not available; join text with ~")
    if operator == "+" and isinstance(left, sequences) and isinstance(right, sequences):
        length = len(left) + len(right)
    elif operator == "*" and isinstance(left, sequences) and _is_int(right):
        length = len(left) * right
    elif operator == "*" and _is_int(left) and isinstance(right, sequences):
        length = left * len(right)
    elif operator == "*" and _is_int(left) and _is_int(right):
        bits = left.bit_length() + right.bit_length()
    elif operator == "**" and _is_int(left) and _is_int(right) and right > 0 and abs(left) > 1:
        bits = abs(left).bit_length() * right
    if length > MAX_OUTPUT:
        raise _too_long(f"the result of {operator}")
    if bits > MAX_NUMBER_BITS:
        raise SecurityError(f"the result of {operator} would be too large a number")


# --- Filters, calls and loops ----------------------------------------------------

# The filters a template may use; a plain-text mail needs no escaping nor formatting.
FILTERS = frozenset(
    """abs attr capitalize center count d default dictsort first float groupby indent
    int items join last length list lower map max min reject rejectattr replace
    reverse round select selectattr sort string sum title trim truncate unique upper
    urlencode wordcount wordwrap""".split()  # noqa: SIM905 (a list of words reads better)
)


def _replace_size(a: Mapping[str, Any]) -> int:
    text, old, new = str(a["s"]), str(a["old"]), str(a["new"])
    times = text.count(old) if old else len(text) + 1
    if a["count"] is not None:
        times = min(times, max(0, a["count"]))
    return len(text) + times * max(0, len(new) - len(old))


def _indent_size(a: Mapping[str, Any]) -> int:
    text, width = str(a["s"]), a["width"]
    step = width if isinstance(width, int) else len(str(width))
    return len(text) + step * (text.count("\n") + 1)


def _join_size(a: Mapping[str, Any]) -> int:
    items = list(a["value"])
    return sum(_size(item) for item in items) + len(str(a["d"])) * len(items)


def _wordwrap_size(a: Mapping[str, Any]) -> int:
    text, width = str(a["s"]), max(1, int(a["width"]))
    lines = len(text) // width + text.count("\n") + 1
    return len(text) + lines * len(a["wrapstring"] or "\n")


def _sum_size(a: Mapping[str, Any]) -> int:
    if not isinstance(a["start"], int | float):
        raise SecurityError("sum adds numbers only")
    return 0


# How long a filter's result can be, where it can outgrow its arguments.
_RESULT_SIZE: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "replace": _replace_size,
    "indent": _indent_size,
    "join": _join_size,
    "wordwrap": _wordwrap_size,
    "sum": _sum_size,
}


def _guarded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with its arguments checked and its result counted."""
    result_size = _RESULT_SIZE.get(name)
    signature = inspect.signature(function)

    @functools.wraps(function)  # keeps the pass_context / pass_environment mark
    def filtered(*args: Any, **kwargs: Any) -> Any:
        args = tuple(list(arg) if isinstance(arg, Iterator) else arg for arg in args)
        kwargs = {k: list(v) if isinstance(v, Iterator) else v for k, v in kwargs.items()}
        _check_arguments([*args, *kwargs.values()])
        if result_size is not None:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            if result_size(bound.arguments) > MAX_OUTPUT:
                raise _too_long(f"the result of the {name} filter")
        return _made(function(*args, **kwargs))

    return filtered


_LOOP = "baobab:loop"  # names a template cannot write: only the rewriting below uses them
_CONCAT = "baobab:concat"


@pass_context  # never run while compiling
def _counted_loop(_context: Context, items: Iterable[Any], text: int) -> Iterator[Any]:
    """The items of a loop, each step counted with the text its body writes."""
    for item in items:
        _spend(made=text)
        yield item


def _concat(parts: list[Any]) -> str:
    """``a ~ b``, refused when too long."""
    if sum(_size(part) for part in parts) > MAX_OUTPUT:
        raise _too_long("the result of ~")
    return _made("".join(str(part) for part in parts))


def _joined(parts: Iterable[str]) -> str:
    """The text of a macro, block or ``{% set %}`` block, refused when too long."""
    pieces = list(parts)
    if sum(len(piece) for piece in pieces) > MAX_OUTPUT:
        raise _too_long("a block")
    return _made("".join(pieces))


def _finalize(value: Any) -> Any:
    """Each ``{{ … }}`` written: refused when too long, else counted."""
    size = _size(value)
    if size > MAX_OUTPUT:
        raise _too_long("a value")
    _spend(made=size)
    return value


# Methods a template may call: nothing that multiplies text or changes data.
_METHODS: tuple[tuple[type, frozenset[str]], ...] = (
    (
        str,
        frozenset(
            """capitalize casefold count endswith find isalnum isalpha isdigit islower
            isspace istitle isupper lower lstrip removeprefix removesuffix rfind rsplit
            rstrip split splitlines startswith strip swapcase title upper""".split()  # noqa: SIM905
        ),
    ),
    (dict, frozenset({"get", "items", "keys", "values"})),
    (list, frozenset({"count", "index"})),
    (tuple, frozenset({"count", "index"})),
    (LoopContext, frozenset({"changed", "cycle"})),
)


def _may_call(obj: Any) -> bool:
    if isinstance(obj, Macro | BlockReference | Undefined):
        return True  # an undefined one raises its own, clearer error
    owner, name = getattr(obj, "__self__", None), getattr(obj, "__name__", None)
    return any(isinstance(owner, kind) and name in names for kind, names in _METHODS)


class _Rewrite(NodeTransformer):
    """Loops and ``~`` go through the counting filters; tags that would
    reach other templates, and recursive loops, are refused. (Jinja's
    visitor names its methods after the node classes.)"""

    def visit_For(self, node: nodes.For) -> nodes.Node:  # noqa: N802
        if node.recursive:
            raise TemplateSyntaxError("recursive loops are not available", node.lineno)
        self.generic_visit(node)
        text = sum(len(data.data) for data in node.find_all(nodes.TemplateData))
        node.iter = nodes.Filter(
            node.iter, _LOOP, [nodes.Const(text)], [], None, None, lineno=node.lineno
        )
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:  # noqa: N802
        self.generic_visit(node)
        parts = nodes.List(node.nodes, lineno=node.lineno)
        return nodes.Filter(parts, _CONCAT, [], [], None, None, lineno=node.lineno)

    def _refuse(self, node: nodes.Node) -> nodes.Node:
        tag = type(node).__name__.lower().replace("fromimport", "from … import")
        raise TemplateSyntaxError(f"{{% {tag} %}} is not available", node.lineno)

    visit_Extends = visit_Include = visit_Import = visit_FromImport = _refuse  # noqa: N815


class _Sandbox(ImmutableSandboxedEnvironment):
    """The environment message templates are rendered in."""

    intercepted_binops = frozenset({"+", "*", "**", "%"})
    concat = staticmethod(_joined)

    def __init__(self) -> None:
        super().__init__(
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=_finalize,
            auto_reload=False,
        )
        self.globals.clear()  # range, dict, lipsum, cycler, joiner, namespace
        self.filters = {
            name: _guarded_filter(name, function)
            for name, function in DEFAULT_FILTERS.items()
            if name in FILTERS
        }
        self.filters[_LOOP] = _counted_loop
        self.filters[_CONCAT] = _concat

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = _Rewrite().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def is_safe_callable(self, obj: Any) -> bool:
        return _may_call(obj)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        if not self.is_safe_callable(obj):
            what = getattr(obj, "__name__", type(obj).__name__)
            raise SecurityError(f"{what}() cannot be called in a message template")
        _check_arguments([*args, *kwargs.values()])
        return _made(context.call(obj, *args, **kwargs))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return _made(self.binop_table[operator](left, right))


_ENVIRONMENT = _Sandbox()


@functools.lru_cache(maxsize=64)
def _compiled(source: str) -> Template:
    return _ENVIRONMENT.from_string(source)


def _problem(part: str, exc: Exception) -> TemplateProblem:
    """The one-line problem an exception raised by a template stands for."""
    if isinstance(exc, TemplateSyntaxError):
        line, message = exc.lineno, exc.message or "syntax error"
    elif isinstance(exc, SyntaxError | RecursionError):  # Python's limits on the compiled code
        line, message = None, "the template nests or calls itself too deeply"
    else:
        line = None
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename == "<template>":
                line = frame.lineno
        message = str(exc) or type(exc).__name__
    return TemplateProblem(part, line, " ".join(message.split()))


def _check_length(part: str, source: str) -> None:
    if len(source) > MAX_SOURCE:
        raise TemplateProblem(part, None, f"the template is longer than {MAX_SOURCE:,} characters")


def _render(part: str, source: str, context: Mapping[str, Any]) -> str:
    """``source`` rendered with ``context``; raises :class:`TemplateProblem`."""
    _check_length(part, source)
    pieces: list[str] = []
    length = 0
    token = _BUDGET.set(_Budget(deadline=time.monotonic() + MAX_SECONDS))
    try:
        for piece in _compiled(source).generate(context):
            length += len(piece)
            if length > MAX_OUTPUT:
                message = f"the text is longer than {MAX_OUTPUT:,} characters"
                raise TemplateProblem(part, None, message)
            pieces.append(piece)
    except TemplateProblem:
        raise
    except Exception as exc:  # whatever a template does wrong is its author's to fix
        raise _problem(part, exc) from exc
    finally:
        _BUDGET.reset(token)
    return "".join(pieces)


# The names the rest of notify uses.
ENVIRONMENT = _ENVIRONMENT
render_part = _render
check_length = _check_length
problem_of = _problem
