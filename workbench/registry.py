"""Name -> class registries, so notebooks, sweeps and tests select methods by name.

A registry can be bound to a package: the first lookup imports every module in that
package, so adding a file with ``@REGISTRY.register("Name")`` is all a new method needs.
Nothing is imported before the first lookup (importing ``workbench`` stays cheap).
"""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Callable, Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """A named collection of classes or factories: ``register`` / ``get`` / ``create`` / ``names``."""

    def __init__(self, kind: str, package: str | None = None):
        self.kind = kind
        self._package = package
        self._entries: dict[str, T] = {}
        self._discovered = package is None

    def register(self, name: str) -> Callable[[T], T]:
        def decorator(obj: T) -> T:
            if name in self._entries and self._entries[name] is not obj:
                raise KeyError(f"{self.kind} {name!r} is registered twice "
                               f"({self._entries[name]!r} and {obj!r}); rename one of them")
            self._entries[name] = obj
            return obj
        return decorator

    def _discover(self) -> None:
        if self._discovered:
            return
        self._discovered = True
        package = importlib.import_module(self._package)
        for module in pkgutil.iter_modules(package.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"{self._package}.{module.name}")

    def get(self, name: str) -> T:
        self._discover()
        if name not in self._entries:
            raise KeyError(f"unknown {self.kind} {name!r}; registered: {', '.join(self.names())}")
        return self._entries[name]

    def create(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.get(name)(*args, **kwargs)

    def names(self) -> list[str]:
        self._discover()
        return sorted(self._entries)

    def __contains__(self, name: str) -> bool:
        self._discover()
        return name in self._entries
