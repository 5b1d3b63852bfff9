"""alignment losses; see workbench/losses/__init__.py."""
__all__: list[str] = []
