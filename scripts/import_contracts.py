"""An import-linter contract type: a private module is imported only from its own package.

A module whose name starts with one underscore (``autoserum.store._base``) is private to the
package that holds it (``autoserum.store``): modules inside that package may import it, nothing
outside may. A name another package needs is exported by the owning package's ``__init__``
(``__all__``). Registered in ``pyproject.toml`` under ``[tool.importlinter] contract_types``;
``lint-imports`` (run from the repository root, which it puts on ``sys.path``) loads it.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output

__all__ = ["PrivateModulesContract", "private_owner"]


def private_owner(module: str) -> str | None:
    """The package a module is private to, or None for a public module.

    >>> private_owner("autoserum.store._base"), private_owner("autoserum.store.models")
    ('autoserum.store', None)
    >>> private_owner("autoserum.simulate._io.sub"), private_owner("autoserum.__main__")
    ('autoserum.simulate', None)
    """
    parts = module.split(".")
    for i, part in enumerate(parts):
        if part.startswith("_") and not part.startswith("__"):
            return ".".join(parts[:i])
    return None


class PrivateModulesContract(Contract):
    """Private modules of ``containers`` are imported only from inside their own package.

    Options: ``containers`` (the root packages checked), ``ignore_imports`` (optional).
    """

    type_name = "private_modules"

    containers = fields.ListField(subfield=fields.StringField())
    ignore_imports = fields.SetField(subfield=fields.StringField(), required=False)

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        ignored: set[str] = set(self.ignore_imports or ())
        roots: list[str] = list(self.containers)
        illegal: list[dict[str, Any]] = []
        for imported in sorted(graph.modules):
            owner = private_owner(imported)
            if owner is None or not any(imported.startswith(r + ".") for r in roots):
                continue
            for importer in sorted(graph.find_modules_that_directly_import(imported)):
                if importer == owner or importer.startswith(owner + "."):
                    continue
                if f"{importer} -> {imported}" in ignored:
                    continue
                lines = [
                    d["line_number"]
                    for d in graph.get_import_details(importer=importer, imported=imported)
                ]
                illegal.append({"importer": importer, "imported": imported, "lines": lines})
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for item in check.metadata["illegal"]:
            where = ", ".join(f"l.{n}" for n in item["lines"])
            output.print_error(
                f"{item['importer']} imports the private {item['imported']} ({where}); "
                "export the name from its package instead",
                bold=False,
            )
            output.new_line()
