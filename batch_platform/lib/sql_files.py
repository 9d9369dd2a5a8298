"""SQL kept in ``.sql`` files: each domain reads its own ``sql/`` folder by statement name."""

from __future__ import annotations

from pathlib import Path


class SqlFolder:
    """The ``.sql`` files of one folder, read once by name (``<verb>_<table>``).

    ``SqlFolder.of_domain(__file__)`` finds the ``sql/`` folder of the domain a module lives in,
    from anywhere inside the domain's package (``assets/``, ``logic/``, …).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._texts: dict[str, str] = {}

    @classmethod
    def of_domain(cls, module_file: str) -> SqlFolder:
        for parent in Path(module_file).resolve().parents:
            if (parent / "sql").is_dir():
                return cls(parent / "sql")
        raise FileNotFoundError(f"no sql/ folder above {module_file}")

    def __call__(self, name: str) -> str:
        text = self._texts.get(name)
        if text is None:
            text = self._texts[name] = (self.folder / f"{name}.sql").read_text(encoding="utf-8")
        return text
