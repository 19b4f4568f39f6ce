"""YAML in for cassettes: a safe, fast loader (the way out is in `writer`).

Loading never constructs Python objects from tags. The document is built straight from the
parser's events (libyaml's `CSafeLoader` parser when available, else the pure-Python
`SafeLoader`): plain scalars are resolved with YAML 1.1's safe rules (memoised, since a cassette
repeats the same few keys and values thousands of times), `!!binary` and Ruby's `!binary`
become `bytes`, and every other tag, e.g. `!!python/object/apply:multidict._multidict.istr`
on a header name or `!!python/object/apply:os.system`, is read as the plain value under it
(a one-item sequence as its item). Skipping PyYAML's constructor layer also makes this loader
several times faster than `yaml.load(..., CSafeLoader)` on the same file.

Hostile files are refused with `YAMLSyntaxError` rather than followed: nesting deeper than
`MAX_DEPTH`, aliases that expand to more than `MAX_ALIAS_NODES` nodes in all (a "billion
laughs" file: aliases are shared here, but anything that serializes the value expands
them), an alias to a container still open (a cycle), and mapping keys that cannot be keys.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

__all__ = ["MAX_ALIAS_NODES", "MAX_DEPTH", "YAMLSyntaxError", "line_of", "load_yaml"]

#: Containers nested deeper than this are refused: every later walk of the value (JSON
#: serialization, the secret guard) recurses, and a cassette is a few levels deep.
MAX_DEPTH = 100
#: The nodes all aliases of a document may expand to, together.
MAX_ALIAS_NODES = 100_000

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_STR = "tag:yaml.org,2002:str"
_BINARY_TAGS = frozenset({"tag:yaml.org,2002:binary", "!binary"})
_SAFE_TAGS = frozenset(
    f"tag:yaml.org,2002:{name}" for name in ("int", "float", "bool", "null", "timestamp")
)
_MERGE = object()  # the `<<` merge key, resolved as a marker rather than a string
_NO_KEY = object()
_ITEM = object()  # the "key" of an open sequence: its next value is an item
_MISS = object()
_OPENING = frozenset({ScalarEvent, MappingStartEvent, SequenceStartEvent})


class YAMLSyntaxError(ValueError):
    """The text is not well-formed YAML; `line` and `column` are 1-based when known."""

    def __init__(self, problem: str, line: int | None, column: int | None) -> None:
        where = f"line {line}, column {column}" if line is not None else "unknown position"
        super().__init__(f"{where}: {problem}")
        self.problem = problem
        self.line = line
        self.column = column


class _Scalars:
    """Turns scalar events into values, remembering the resolution of each plain scalar."""

    def __init__(self) -> None:
        self.memo: dict[str, Any] = {}
        self._resolve: Any = yaml.resolver.Resolver().resolve  # untyped in the stubs
        self._constructor = yaml.constructor.SafeConstructor()

    def value(self, event: ScalarEvent) -> Any:
        """The value of any scalar event (tags honoured as the module docstring says)."""
        tag = event.tag
        if tag is None:
            if not event.implicit[0]:
                return event.value  # quoted or a block: always a string
            value = self.memo.get(event.value, _MISS)
            return self.plain(event.value) if value is _MISS else value
        if tag == "!":
            return event.value
        if tag == _STR:
            return event.value
        if tag in _BINARY_TAGS:
            try:
                return base64.b64decode(event.value)
            except (binascii.Error, ValueError) as exc:
                raise YAMLSyntaxError(f"invalid base64 in {tag}: {exc}", *_mark(event)) from exc
        if tag in _SAFE_TAGS:
            return self._construct(tag, event.value)
        return event.value  # an unknown tag: its plain text, never a constructed object

    def plain(self, text: str) -> Any:
        """A plain scalar resolved by YAML 1.1 safe rules (`200` -> int, `~` -> None)."""
        try:
            return self.memo[text]
        except KeyError:
            pass
        tag = self._resolve(ScalarNode, text, (True, False))
        if tag == "tag:yaml.org,2002:merge":
            value: Any = _MERGE
        elif tag == _STR:
            value = text
        else:
            value = self._construct(tag, text)
        self.memo[text] = value
        return value

    def _construct(self, tag: str, text: str) -> Any:
        try:
            return self._constructor.construct_object(ScalarNode(tag, text))
        except Exception:
            # Any failure of PyYAML's constructor on a scalar (`!!bool maybe`: KeyError,
            # `!!timestamp x`: AttributeError) means the text is not of that type: it is kept
            # as written.
            return text


def _mark(event: Any) -> tuple[int | None, int | None]:
    return _position(getattr(event, "start_mark", None))


def _position(mark: Any) -> tuple[int | None, int | None]:
    if mark is None:
        return None, None
    return mark.line + 1, mark.column + 1


def _finish(container: Any, tag: str | None) -> Any:
    """A container's plain value: tags are dropped, Python object wrappers unwrapped."""
    if tag is None or "python/object" not in tag:
        return container
    if isinstance(container, list) and len(container) == 1 and not isinstance(container[0], list):
        # e.g. `!!python/object/apply:multidict._multidict.istr [Accept]` -> "Accept"
        return container[0]
    return container


def _merge_into(target: dict[Any, Any], value: Any) -> None:
    for source in value if isinstance(value, list) else [value]:
        if isinstance(source, dict):
            for key, item in source.items():
                target.setdefault(key, item)


def _hashable(key: Any, event: Any) -> Any:
    if isinstance(key, list):
        key = tuple(key)
    if isinstance(key, dict):
        raise YAMLSyntaxError("a mapping cannot be a mapping key here", *_mark(event))
    try:
        hash(key)
    except TypeError:
        raise YAMLSyntaxError("a mapping key holds a mapping or a list", *_mark(event)) from None
    return key


def _expanded_size(value: Any, sizes: dict[int, int]) -> int:
    """Nodes in `value` with every shared container counted each time it appears (what a
    serializer writes), without recursion; `sizes` remembers containers already counted."""
    pending: list[tuple[Any, bool]] = [(value, False)]
    totals: list[int] = []
    while pending:
        item, children_done = pending.pop()
        if not isinstance(item, dict | list):
            totals.append(1)
            continue
        known = sizes.get(id(item))
        if known is not None:
            totals.append(known)
        elif not children_done:
            children = list(item.values()) if isinstance(item, dict) else item
            pending.append((item, True))
            pending.extend((child, False) for child in children)
            totals.append(-1)  # a marker: this container's children follow
        else:
            total = 1
            while (top := totals.pop()) != -1:
                total += top
            sizes[id(item)] = total
            totals.append(total)
    return sum(totals)


class _Builder:
    """Builds plain data from parser events: dicts, lists, scalars; anchors and merge keys."""

    def __init__(self) -> None:
        self.scalars = _Scalars()
        # The document's value goes into `root`, a list that is always open: so placing a
        # value never has to ask whether there is a container to place it in.
        self.root: list[Any] = []
        self.stack: list[Any] = [self.root]  # open containers
        self.keys: list[Any] = [_ITEM]  # per open container: _ITEM for a list, else the key
        self.tags: list[str | None] = [None]
        self.anchors: dict[str, Any] = {}
        self.documents = 0
        self._expanded = 0  # nodes the aliases so far expand to
        self._sizes: dict[int, int] = {}

    def run(self, loader: Any) -> Any:
        """Consume the loader's events; the document's value."""
        # Written for speed (it sees every event of the file): scalars and containers are
        # handled inline; anchors, aliases and stream and document markers go to `other`.
        get_event = loader.get_event
        value_of, memo = self.scalars.value, self.scalars.memo
        stack, keys, tags = self.stack, self.keys, self.tags
        while True:
            event = get_event()
            kind = event.__class__
            if kind is MappingEndEvent or kind is SequenceEndEvent:
                keys.pop()
                value = _finish(stack.pop(), tags.pop())
            elif kind not in _OPENING or event.anchor is not None:
                if self.other(event):
                    return self.root[0] if self.root else None
                continue
            elif kind is ScalarEvent:
                value = memo.get(event.value, _MISS) if event.implicit[0] else _MISS
                if value is _MISS or event.tag is not None:
                    value = value_of(event)
            else:
                if len(stack) > MAX_DEPTH:  # the root is not a level
                    raise YAMLSyntaxError(f"nested deeper than {MAX_DEPTH} levels", *_mark(event))
                stack.append({} if kind is MappingStartEvent else [])
                keys.append(_NO_KEY if kind is MappingStartEvent else _ITEM)
                tags.append(event.tag)
                continue
            key = keys[-1]
            if key is _NO_KEY and value.__class__ is str:
                keys[-1] = value
            elif key is _ITEM or key is _NO_KEY or key is _MERGE:
                self.add(value, event)
            else:
                stack[-1][key] = value
                keys[-1] = _NO_KEY

    def other(self, event: Any) -> bool:
        """Handle an anchored or rare event; True at the end of the stream."""
        kind = event.__class__
        if kind is ScalarEvent:
            self.scalar(event)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            self.start(event)
        elif kind is AliasEvent:
            self.alias(event)
        elif kind is DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                raise YAMLSyntaxError("expected one document, found another", *_mark(event))
        return kind is StreamEndEvent

    def scalar(self, event: Any) -> None:
        """A tagged or anchored scalar."""
        value = self.scalars.value(event)
        if event.anchor is not None:
            self.anchors[event.anchor] = value
        self.add(value, event)

    def start(self, event: Any) -> None:
        """Open a mapping or a sequence."""
        if len(self.stack) > MAX_DEPTH:
            raise YAMLSyntaxError(f"nested deeper than {MAX_DEPTH} levels", *_mark(event))
        mapping = event.__class__ is MappingStartEvent
        container: Any = {} if mapping else []
        if event.anchor is not None:
            self.anchors[event.anchor] = container
        self.stack.append(container)
        self.keys.append(_NO_KEY if mapping else _ITEM)
        self.tags.append(event.tag)

    def alias(self, event: Any) -> None:
        """`*name`: the value anchored as `&name` before."""
        if event.anchor not in self.anchors:
            raise YAMLSyntaxError(f"unknown alias *{event.anchor}", *_mark(event))
        value = self.anchors[event.anchor]
        if isinstance(value, dict | list):
            if any(value is open_ for open_ in self.stack):
                raise YAMLSyntaxError(f"alias *{event.anchor} refers to itself", *_mark(event))
            self._expanded += _expanded_size(value, self._sizes)
            if self._expanded > MAX_ALIAS_NODES:
                raise YAMLSyntaxError(
                    f"aliases expand to more than {MAX_ALIAS_NODES:,} nodes", *_mark(event)
                )
        self.add(value, event)

    def add(self, value: Any, event: Any) -> None:
        """Place `value` in the innermost container (as a key, item or value)."""
        key = self.keys[-1]
        if key is _ITEM:
            self.stack[-1].append(value)
        elif key is _NO_KEY:
            self.keys[-1] = value if value.__class__ is str else _hashable(value, event)
        else:
            if key is _MERGE:
                _merge_into(self.stack[-1], value)
            else:
                self.stack[-1][key] = value
            self.keys[-1] = _NO_KEY


def load_yaml(source: bytes | str) -> Any:
    """Parse one YAML document safely (see the module docstring); `None` for an empty one.

    Raises `YAMLSyntaxError` with the line and column of a syntax error.
    """
    loader = _Loader(source)
    try:
        return _Builder().run(loader)
    except yaml.MarkedYAMLError as exc:
        line, column = _position(exc.problem_mark)
        raise YAMLSyntaxError(str(exc.problem or exc), line, column) from exc
    except yaml.YAMLError as exc:  # reader errors (bad encoding, control characters)
        raise YAMLSyntaxError(str(exc), None, None) from exc
    finally:
        loader.dispose()


def line_of(source: bytes | str, place: list[str | int]) -> int | None:
    """The 1-based line where `place` (keys and indexes from the root) starts, if found.

    Used only to enrich error messages, so it composes nodes (no construction, no tags
    honoured) and gives up quietly on anything unexpected.
    """
    loader = _Loader(source)
    try:
        node: Node | None = loader.get_single_node()
        for part in place:
            node = _child(node, part)
        return None if node is None else int(node.start_mark.line) + 1
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()


def _child(node: Node | None, part: str | int) -> Node | None:
    if isinstance(node, SequenceNode) and isinstance(part, int):
        return node.value[part] if 0 <= part < len(node.value) else None
    if isinstance(node, MappingNode):
        for key_node, value in node.value:
            key = key_node
            while isinstance(key, SequenceNode) and len(key.value) == 1:
                key = key.value[0]  # a tagged wrapper such as istr
            if isinstance(key, ScalarNode) and key.value == str(part):
                return value  # type: ignore[no-any-return]
    return None
