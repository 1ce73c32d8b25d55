"""Typed documents: the JSON every command, the report and the dashboard answer with.

Each public document (`"schema": "ktlo.<name>/vN"`) is a tree of `Document` models: frozen,
no field that is not declared, each field with its meaning (`Field(description=...)`). A
stage builds its document and hands the model on; renderers read its attributes; the CLI
writes `to_json()` (pydantic-core writes it from the model, ktlo.cli.output.json_text),
whose keys come in the order the fields are declared. The field
tables of docs/*-json.md are generated from the models (`field_table`), and
tests/test_documents.py fails when a table and its model drift apart:

    .venv/bin/python -m ktlo.documents   # rewrite every generated table in docs/
"""

from __future__ import annotations

import importlib
import re
import sys
import types
import typing
from pathlib import Path
from typing import Annotated, Any, Union, get_args, get_origin, get_type_hints

from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo
from typing_extensions import is_typeddict

DOCS = Path(__file__).resolve().parents[2] / "docs"
# A generated table sits between these markers, naming its model by its dotted path:
# <!-- fields: ktlo.metrics.repository.AnalyzeDocument -->  ...  <!-- /fields -->
TABLE = re.compile(r"(<!-- fields: (?P<model>[\w.]+) -->\n)(?P<table>.*?)(<!-- /fields -->)", re.S)


class Document(BaseModel):
    """A part of a public JSON document: frozen, only its declared fields.

    A field that only some answers carry (e.g. `buckets` for teams with targets) is left
    out of the JSON, not written as null, when it is None: declare it
    `Field(None, exclude_if=is_none, ...)`. pydantic-core then writes every document
    without calling back into Python (a wrap serializer on this class cost 0.23 s of the
    2.6 s of `ktlo allocation --by initiative` on a million items: BENCHMARKS.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    def to_json(self) -> dict[str, Any]:
        """The document as JSON values, keys in declaration order."""
        return self.model_dump(mode="json", by_alias=True)


def is_none(value: object) -> bool:
    """`exclude_if` of a field left out of the JSON when it is None (see Document)."""
    return value is None


def type_name(annotation: Any) -> str:
    """A field's type as the docs write it: `number`, `list of Period`, `string or null`."""
    if annotation is type(None):
        return "null"
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        names = [type_name(a) for a in get_args(annotation)]
        return " or ".join(dict.fromkeys(names))
    if origin is list or origin is tuple:
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        return f"list of {type_name(args[0])}" if args else "list"
    if origin is dict:
        key, value = get_args(annotation) or (str, Any)
        return f"object of {type_name(value)}"
    if origin is typing.Literal:
        return " or ".join(f"`{a}`" for a in get_args(annotation))
    if _is_part(annotation):
        return str(annotation.__name__)
    return {
        str: "string",
        int: "integer",
        float: "number",
        bool: "boolean",
        Any: "any",
    }.get(annotation, getattr(annotation, "__name__", str(annotation)))


def field_table(model: type[BaseModel]) -> str:
    """The Markdown table of `model`'s fields, then one per part it nests (once each)."""
    seen: dict[str, type] = {}
    _collect(model, seen)
    parts = []
    for name, found in seen.items():
        rows = ["| field | type | meaning |", "|---|---|---|"]
        for field, annotation, description in _fields(found):
            meaning = description.replace("|", "\\|").replace("\n", " ")
            rows.append(f"| `{field}` | {type_name(annotation)} | {meaning} |")
        title = "" if found is model else f"**{name}**\n\n"
        parts.append(title + "\n".join(rows) + "\n")
    return "\n".join(parts)


def _fields(part: type) -> list[tuple[str, Any, str]]:
    """(name in the JSON, type, meaning) of a model's or TypedDict's fields, in order."""
    if isinstance(part, type) and issubclass(part, BaseModel):
        return [
            (info.alias or name, info.annotation, info.description or "")
            for name, info in part.model_fields.items()
        ]
    found = []
    for name, hint in get_type_hints(part, include_extras=True).items():
        annotation, *extras = get_args(hint) if get_origin(hint) is Annotated else (hint,)
        infos = [e for e in extras if isinstance(e, FieldInfo)]
        found.append((name, annotation, (infos[0].description if infos else None) or ""))
    return found


def _is_part(annotation: Any) -> bool:
    """A model or a TypedDict: a part of a document with a table of its own."""
    return isinstance(annotation, type) and (
        issubclass(annotation, BaseModel) or is_typeddict(annotation)
    )


def _collect(model: type, seen: dict[str, type]) -> None:
    if model.__name__ in seen:
        return
    seen[model.__name__] = model
    for _, annotation, _ in _fields(model):
        for nested in _parts_in(annotation):
            if not is_top_level(nested):  # a whole document has its own table on its page
                _collect(nested, seen)


def is_top_level(model: type) -> bool:
    """A document in its own right (it has a `schema` field), documented on its own page."""
    return any(name == "schema" for name, _, _ in _fields(model))


def _parts_in(annotation: Any) -> list[type]:
    if _is_part(annotation):
        return [annotation]
    return [m for a in get_args(annotation) for m in _parts_in(a)]


def model_at(dotted: str) -> type[BaseModel]:
    """The model a table's marker names (`ktlo.metrics.repository.AnalyzeDocument`)."""
    module, _, name = dotted.rpartition(".")
    found = getattr(importlib.import_module(module), name)
    if not (isinstance(found, type) and issubclass(found, BaseModel)):
        raise TypeError(f"{dotted} is not a document model")
    return found


def regenerate(text: str) -> str:
    """`text` with every generated table rewritten from its model."""
    return TABLE.sub(
        lambda m: m.group(1) + field_table(model_at(m.group("model"))) + m.group(4), text
    )


def main() -> None:
    """Rewrite the generated tables of docs/*.md; list the files changed."""
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        new = regenerate(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"rewrote {path.name}", file=sys.stderr)


if __name__ == "__main__":
    main()
