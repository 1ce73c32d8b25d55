"""The JSON documents' field tables in docs/ are generated from their models, and agree."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any, Literal

import pytest
from pydantic import Field

import ktlo
from ktlo.documents import DOCS, TABLE, Document, field_table, is_none, regenerate


def test_every_generated_table_in_the_docs_matches_its_model() -> None:
    stale = []
    for path in sorted(DOCS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        if regenerate(text) != text:
            stale.append(path.name)
    assert not stale, f"regenerate with `python -m ktlo.documents`: {stale}"


def test_every_top_level_document_has_its_table_in_the_docs() -> None:
    """A model with a `schema` field is a public document: the docs must describe it."""
    for info in pkgutil.walk_packages(ktlo.__path__, "ktlo."):
        if ".server" in info.name or ".cli" in info.name or ".demo" in info.name:
            continue
        importlib.import_module(info.name)
    documented = {
        m.group("model").rsplit(".", 1)[1]
        for path in DOCS.glob("*.md")
        for m in TABLE.finditer(path.read_text(encoding="utf-8"))
    }
    public = {
        m.__name__
        for m in _subclasses(Document)
        if any((f.alias or name) == "schema" for name, f in m.model_fields.items())
        and not m.__name__.startswith("_")
    }
    assert public <= documented, f"no table in docs/ for {sorted(public - documented)}"


def _subclasses(cls: type) -> set[type]:
    found = set(cls.__subclasses__())
    return found | {s for c in found for s in _subclasses(c)}


class _Band(Document):
    low: float = Field(description="lower edge")
    high: float | None = Field(description="upper edge, `null` when open")


class _Example(Document):
    schema_: Literal["ktlo.example/v1"] = Field(alias="schema", description="the schema id")
    teams: list[str] = Field(description="team names | in order")
    band: _Band = Field(description="the band")
    by_kind: dict[str, float] = Field(description="person-days per kind")


def test_a_table_lists_each_field_with_its_type_and_meaning_then_the_nested_models() -> None:
    assert field_table(_Example) == (
        "| field | type | meaning |\n|---|---|---|\n"
        "| `schema` | `ktlo.example/v1` | the schema id |\n"
        "| `teams` | list of string | team names \\| in order |\n"
        "| `band` | _Band | the band |\n"
        "| `by_kind` | object of number | person-days per kind |\n"
        "\n**_Band**\n\n"
        "| field | type | meaning |\n|---|---|---|\n"
        "| `low` | number | lower edge |\n"
        "| `high` | number or null | upper edge, `null` when open |\n"
    )


class _Outer(Document):
    schema_: Literal["ktlo.outer/v1"] = Field(alias="schema", description="the schema id")
    inner: _Example | None = Field(description="a whole document inside this one")


def test_a_whole_document_inside_another_is_named_not_expanded_again() -> None:
    # the report embeds `ktlo health`'s document: its fields are listed on its own page
    assert field_table(_Outer) == (
        "| field | type | meaning |\n|---|---|---|\n"
        "| `schema` | `ktlo.outer/v1` | the schema id |\n"
        "| `inner` | _Example or null | a whole document inside this one |\n"
    )


def test_a_document_writes_its_keys_in_declaration_order() -> None:
    doc = _Example(schema="ktlo.example/v1", teams=["b", "a"], band={"low": 0.2, "high": None},
                   by_kind={"z": 1.5, "a": 2.0})  # fmt: skip
    assert list(doc.to_json()) == ["schema", "teams", "band", "by_kind"]
    assert doc.to_json()["by_kind"] == {"z": 1.5, "a": 2.0}


class _Omitting(Document):
    name: str = Field(description="a name")
    note: str | None = Field(None, exclude_if=is_none, description="left out when None")


def test_a_field_declared_omitted_is_left_out_when_none_and_written_otherwise() -> None:
    from ktlo.cli.output import json_text

    assert json.loads(json_text(_Omitting(name="a"))) == {"name": "a"}
    assert _Omitting(name="a").to_json() == {"name": "a"}
    assert _Omitting(name="b", note="n").to_json() == {"name": "b", "note": "n"}


@pytest.mark.parametrize(
    "doc",
    [
        _Example(schema="ktlo.example/v1", teams=["é", "\x00\u2028😀", ""], band={"low": 0.2,
                 "high": None}, by_kind={"z": 1.5, "a": 2.0, "big": 1e16, "none": 0.0})
        ,  # non-ASCII, controls, key order, big floats
        _Example(schema="ktlo.example/v1", teams=[], band={"low": 1e-05, "high": 1.5e-07},
                 by_kind={"tiny": 9.99e-05})
        ,  # floats pydantic-core writes otherwise (0.00001, 1.5e-7)
        [_Omitting(name="a"), _Omitting(name="b", note="n")],
    ],
)  # fmt: skip
def test_a_document_is_written_as_the_json_module_writes_it(doc: Any) -> None:
    # the CLI writes documents with pydantic-core, which must not change a byte
    from ktlo.cli.output import json_text, plain

    assert json_text(doc) == json.dumps(plain(doc), indent=2, ensure_ascii=False)
