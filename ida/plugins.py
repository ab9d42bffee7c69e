"""Plug-ins: one generic `Registry` behind every pluggable part (tasks, answerers, decomposers, review policies,
distillation objectives). A config field names a part in one of three ways:

- a registered name (`permutation`, `openai`, ...; `register_task(...)` and friends add more at run time);
- an entry point of an installed package, in the registry's group (`ida.tasks`, `ida.answerers`,
  `ida.decomposers`, `ida.review_policies`, `ida.objectives`), e.g. in the package's pyproject.toml:
  `[project.entry-points."ida.tasks"] sum_list = "mypkg.tasks:SumListTask"`;
- an import path `module:attr` (`mypkg.tasks:SumListTask`), stored as written in the run's config.yaml, so that
  `ida resume` and `ida report` import it again.

Whatever is imported is checked against the part's protocol (`adapt`) when it is first resolved, before the run
dir exists: a missing method is one `PluginError` line naming the field, the class and the method.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

from ida.errors import IDAError

T = TypeVar("T")


class PluginError(IDAError, ValueError):
    """A plug-in that cannot be used: unknown name, import failure, wrong kind of object, missing method."""


def is_import_path(name: str) -> bool:
    """`module:attr` (a registered name never contains a colon)."""
    module, sep, attr = name.partition(":")
    return bool(sep and module and attr)


def import_object(path: str, field: str) -> Any:
    """The object at `module:attr` (dots in attr walk attributes), or a PluginError naming `field`."""
    module, _, attr = path.partition(":")
    try:
        obj: Any = importlib.import_module(module)
    except Exception as err:  # ImportError, or anything the module raises while it is imported
        raise PluginError(f"{field}: cannot import {path!r} ({type(err).__name__}: {err})") from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise PluginError(f"{field}: cannot import {path!r} (module {module!r} has no attribute {attr!r})")
        obj = getattr(obj, part)
    return obj


def require_methods(obj: Any, methods: Iterable[str], field: str, what: str) -> None:
    """PluginError naming the first of `methods` that `obj` (a class or an instance) does not have."""
    owner = obj if inspect.isclass(obj) else type(obj)
    for name in methods:
        if not callable(getattr(obj, name, None)):
            raise PluginError(f"{field}: {what} {owner.__module__}.{owner.__qualname__} has no method {name}()")


def require_callable(obj: Any, field: str, what: str) -> None:
    if not callable(obj):
        raise PluginError(f"{field}: {what} is a {type(obj).__name__}, not a class or a callable")


class Registry(Generic[T]):
    """Names -> parts of one kind, plus entry points and import paths.

    `entries`: the dict `register` writes to (a module's public registry dict stays the one source);
    `also`: more live mappings read after it (e.g. the built-in tasks); `adapt(obj, where)` turns an imported
    object into a `T` and checks it against the protocol (raising PluginError naming `where`)."""

    def __init__(self, kind: str, field: str, group: str, entries: dict[str, T] | None = None,
                 also: Iterable[Mapping[str, T]] = (), adapt: Callable[[Any, str], T] | None = None) -> None:
        self.kind, self.field, self.group = kind, field, group
        self.entries: dict[str, T] = {} if entries is None else entries
        self.also = tuple(also)
        self.adapt = adapt or (lambda obj, where: obj)
        self._imported: dict[str, T] = {}  # import paths and entry points resolved so far

    def register(self, name: str, value: T) -> None:
        if ":" in name:
            raise PluginError(f"{self.kind} name {name!r} must not contain ':' (that marks an import path)")
        self.entries[name] = value

    def _registered(self) -> Iterator[Mapping[str, T]]:
        yield self.entries
        yield from self.also

    def names(self) -> list[str]:
        """Registered names and entry-point names of installed packages."""
        found = {name for mapping in self._registered() for name in mapping}
        return sorted(found | {ep.name for ep in entry_points(group=self.group)})

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name in self.names()

    def get(self, name: str) -> T:
        """The part `name` (a registered name, an entry point or `module:attr`), or a PluginError naming the field."""
        for mapping in self._registered():
            if name in mapping:
                return mapping[name]
        if name in self._imported:
            return self._imported[name]
        if is_import_path(name):
            value = self.adapt(import_object(name, self.field), f"{self.field}: {name}")
        else:
            value = self.adapt(self._entry_point(name), f"{self.field}: {name} (entry point of {self.group})")
        self._imported[name] = value
        return value

    resolve = get

    def _entry_point(self, name: str) -> Any:
        found = [ep for ep in entry_points(group=self.group) if ep.name == name]
        if not found:
            raise PluginError(f"{self.field}: unknown {self.kind} {name!r}; known: {', '.join(self.names())} "
                              "(or an import path module:attr)")
        try:
            return found[0].load()
        except Exception as err:
            raise PluginError(f"{self.field}: entry point {name!r} of {self.group} ({found[0].value}) cannot be "
                              f"imported ({type(err).__name__}: {err})") from None

    def forget(self, name: str) -> None:
        """Drop a resolved import path (tests; a module edited in place is imported afresh next time)."""
        self._imported.pop(name, None)

