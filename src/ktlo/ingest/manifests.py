"""Read the packages a manifest declares: what a person wrote (direct dependencies).

Each parser takes a file's bytes and returns `Packages`: `(ecosystem, package) -> (version,
direct)`. A manifest's version is what it declares: an exact pin (`==1.2.3`, Maven's
`1.2.3`) as the bare version, else the requirement as written (`>=2,<3`, `^4.17.0`), and
`*` when it constrains nothing. Ecosystems are named as OSV names them. A file that cannot
be read raises `Malformed` (the caller counts it and goes on).

    requirements*.txt   packaging's Requirement when installed, else a careful line parser
    pyproject.toml      PEP 621 (+ dependency groups) and Poetry's tables, read by tomllib
    package.json        dependencies, devDependencies, optionalDependencies
    composer.json       require, require-dev (php and ext-* are the platform, not packages)
    go.mod              require lines and blocks; `// indirect` ones are not direct
    pom.xml             dependencies (and dependencyManagement), ${properties} resolved
"""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from typing import Any

# (ecosystem, package) -> (version, direct: True / False / None unknown)
Packages = dict[tuple[str, str], tuple[str, bool | None]]

PYPI, NPM, CRATES, GO, GEMS, MAVEN, PACKAGIST = (
    "PyPI", "npm", "crates.io", "Go", "RubyGems", "Maven", "Packagist",
)  # fmt: skip


class Malformed(ValueError):
    """A file revision that cannot be read as its format."""


def pypi_name(name: str) -> str:
    """PEP 503's normal form: `Flask_Login` -> `flask-login` (how PyPI and OSV name it)."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def text_of(data: bytes) -> str:
    """The file as text; a file that is not UTF-8 is malformed."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Malformed(f"not UTF-8: {exc}") from exc


def json_of(data: bytes) -> Any:
    """The file as JSON (an object), or Malformed."""
    try:
        value = json.loads(text_of(data))
    except json.JSONDecodeError as exc:
        raise Malformed(f"not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise Malformed("not a JSON object")
    return value


def toml_of(data: bytes) -> dict[str, Any]:
    """The file as TOML, or Malformed."""
    try:
        return tomllib.loads(text_of(data))
    except tomllib.TOMLDecodeError as exc:
        raise Malformed(f"not TOML: {exc}") from exc


def declared(spec: str) -> str:
    """A requirement's version as stored: `==1.2` -> `1.2`; `>=2,<3` as written; `*` for none."""
    spec = spec.strip().replace(" ", "")
    pinned = re.fullmatch(r"===?([^,;<>=!~*]+)", spec)
    if pinned:
        return pinned[1]
    return spec or "*"


# --- Python ---------------------------------------------------------------------------

_REQ_LINE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(\(?[^;@]*\)?)")


def requirement(line: str) -> tuple[str, str] | None:
    """(name, version) of one PEP 508 requirement; None for a URL or path requirement."""
    try:
        from packaging.requirements import InvalidRequirement, Requirement
    except ImportError:  # packaging is not installed: the line parser below
        return _requirement_by_hand(line)
    try:
        req = Requirement(line)
    except InvalidRequirement as exc:
        raise Malformed(f"not a requirement: {line!r}") from exc
    if req.url:
        return None
    return pypi_name(req.name), declared(str(req.specifier))


def _requirement_by_hand(line: str) -> tuple[str, str] | None:
    if "://" in line or line.startswith((".", "/")):
        return None
    match = _REQ_LINE.match(line)
    if not match:
        raise Malformed(f"not a requirement: {line!r}")
    spec = ",".join(sorted(match[3].strip("() ").replace(" ", "").split(","))) if match[3] else ""
    return pypi_name(match[1]), declared(spec)


def parse_requirements(data: bytes) -> Packages:
    """requirements*.txt: one requirement a line; options (-r, -e, --hash) and URLs skipped."""
    found: Packages = {}
    text = re.sub(r"\\\r?\n", " ", text_of(data))  # continued lines
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw).strip()
        if not line or line.startswith("-"):
            continue
        line = re.split(r"\s+--?[a-z]", line, maxsplit=1)[0]  # per-line options (--hash=...)
        req = requirement(line)
        if req:
            found[(PYPI, req[0])] = (req[1], True)
    return found


def parse_pyproject(data: bytes) -> Packages:
    """pyproject.toml: PEP 621 dependencies, optional dependencies and dependency groups, and
    Poetry's dependency tables (`python` itself is not a package)."""
    doc = toml_of(data)
    found: Packages = {}
    project = doc.get("project") or {}
    lines: list[Any] = list(project.get("dependencies") or [])
    for extra in (project.get("optional-dependencies") or {}).values():
        lines += list(extra or [])
    for group in (doc.get("dependency-groups") or {}).values():
        lines += [item for item in group or [] if isinstance(item, str)]
    for line in lines:
        req = requirement(str(line)) if isinstance(line, str) else None
        if req:
            found[(PYPI, req[0])] = (req[1], True)
    for name, spec in _poetry_tables(doc.get("tool", {}).get("poetry") or {}):
        if name.lower() != "python":
            found[(PYPI, pypi_name(name))] = (_poetry_spec(spec), True)
    return found


def _poetry_tables(poetry: Mapping[str, Any]) -> Iterable[tuple[str, Any]]:
    tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
    tables += [g.get("dependencies") for g in (poetry.get("group") or {}).values()]
    for table in tables:
        if isinstance(table, Mapping):
            yield from table.items()


def _poetry_spec(spec: Any) -> str:
    if isinstance(spec, list):  # several constraints by marker: the first says enough
        spec = spec[0] if spec else "*"
    if isinstance(spec, Mapping):
        spec = spec.get("version", "*")
    return declared(str(spec))


# --- JavaScript, PHP -------------------------------------------------------------------


def parse_package_json(data: bytes) -> Packages:
    """package.json: the packages it depends on, with their ranges as written."""
    doc = json_of(data)
    found: Packages = {}
    for table in ("dependencies", "devDependencies", "optionalDependencies"):
        deps = doc.get(table) or {}
        if not isinstance(deps, dict):
            raise Malformed(f"{table} is not an object")
        for name, spec in deps.items():
            found[(NPM, name)] = (declared(str(spec)), True)
    return found


def parse_composer_json(data: bytes) -> Packages:
    """composer.json: require and require-dev, without the platform (php, ext-*, lib-*)."""
    doc = json_of(data)
    found: Packages = {}
    for table in ("require", "require-dev"):
        for name, spec in (doc.get(table) or {}).items():
            if "/" in name:  # platform packages have no vendor
                found[(PACKAGIST, name.lower())] = (declared(str(spec)), True)
    return found


# --- Go, Maven ---------------------------------------------------------------------------

_GO_REQUIRE = re.compile(r"^\s*(?:require\s+)?(\S+)\s+(v\S+)(\s*//\s*indirect)?", re.M)


def parse_go_mod(data: bytes) -> Packages:
    """go.mod: each required module; those marked `// indirect` are not direct."""
    found: Packages = {}
    block = False
    for line in text_of(data).splitlines():
        stripped = line.strip()
        if stripped.startswith("require ("):
            block = True
        elif block and stripped == ")":
            block = False
        elif block or stripped.startswith("require "):
            match = _GO_REQUIRE.match(stripped)
            if match:
                found[(GO, match[1])] = (match[2], match[3] is None)
    if not found and "module" not in text_of(data):
        raise Malformed("no module line")
    return found


def parse_pom(data: bytes) -> Packages:
    """pom.xml: `groupId:artifactId` of each dependency, `${property}` versions resolved
    from the file's properties (a DOCTYPE is refused: no entity expansion)."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise Malformed("a pom.xml with a DOCTYPE (entities are not expanded)")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise Malformed(f"not XML: {exc}") from exc
    ns = root.tag[: root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    props = {
        el.tag.removeprefix(ns): (el.text or "").strip()
        for el in root.iterfind(f"{ns}properties/*")
    }
    props["project.version"] = (root.findtext(f"{ns}version") or "").strip()
    found: Packages = {}
    for path in (f"{ns}dependencies/{ns}dependency", f"{ns}dependencyManagement/{ns}dependencies/{ns}dependency"):  # fmt: skip
        for dep in root.iterfind(path):
            group, artifact = dep.findtext(f"{ns}groupId"), dep.findtext(f"{ns}artifactId")
            if group and artifact:
                version = _resolve(dep.findtext(f"{ns}version") or "*", props)
                found[(MAVEN, f"{_resolve(group, props)}:{artifact.strip()}")] = (version, True)
    return found


def _resolve(text: str, props: Mapping[str, str]) -> str:
    return re.sub(r"\$\{([^}]+)\}", lambda m: props.get(m[1]) or m[0], text.strip())
