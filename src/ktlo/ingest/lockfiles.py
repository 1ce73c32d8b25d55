"""Read the packages a lockfile pins, and which parser reads which file.

A lockfile records every package installed, at one exact version. `direct` is True for a
package the project declares itself, False for one only locked, and None when the
lockfile does not say (poetry.lock, Pipfile.lock, Cargo.lock, yarn.lock, composer.lock,
Gradle's lockfiles, go.sum). When a lockfile holds several versions of one package
(npm's nested node_modules, two majors of a crate) the one the project resolves is
kept: npm's top-level one, else the highest.

    poetry.lock  uv.lock                  tomllib
    Cargo.lock                            cargo's layout, tomllib when it does not match
    Pipfile.lock  package-lock.json (v1-v3)  composer.lock   json
    pnpm-lock.yaml                        its layout, by regular expressions (no YAML parser: see there)
    yarn.lock                             v1 text and berry (one line format, no YAML)
    Gemfile.lock  go.sum  gradle.lockfile the formats' line grammars
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Callable
from typing import Any

from ktlo.ingest import manifests as m
from ktlo.ingest.manifests import Malformed, Packages

Parser = Callable[[bytes], Packages]


@functools.lru_cache(maxsize=1 << 16)  # versions repeat from one revision to the next
def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """A sort key that orders `1.10.0` after `1.9.2` (numbers as numbers), for picking the
    highest of several versions; prereleases are not ranked precisely."""
    parts = re.split(r"[.+\-_]", version.lstrip("vV"))
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def _keep(found: Packages, key: tuple[str, str], version: str, direct: bool | None) -> None:
    """Add a package, keeping the highest version when it is there already."""
    old = found.get(key)
    if old is None:
        found[key] = (version, direct)
    elif version != old[0] and version_key(version) > version_key(old[0]):
        found[key] = (version, old[1] or direct)


# --- Python ---------------------------------------------------------------------------


def parse_poetry_lock(data: bytes) -> Packages:
    """poetry.lock: every [[package]] with its version."""
    found: Packages = {}
    for pkg in m.toml_of(data).get("package") or []:
        _keep(found, (m.PYPI, m.pypi_name(pkg["name"])), str(pkg["version"]), None)
    return found


def parse_uv_lock(data: bytes) -> Packages:
    """uv.lock: every [[package]] but the project's own (editable or virtual source); direct
    are those the project's own packages depend on."""
    found: Packages = {}
    packages = m.toml_of(data).get("package") or []
    own = [p for p in packages if {"editable", "virtual"} & set((p.get("source") or {}).keys())]
    direct = {m.pypi_name(d["name"]) for p in own for d in _uv_deps(p)}
    for pkg in packages:
        if pkg in own or "version" not in pkg:
            continue
        name = m.pypi_name(pkg["name"])
        _keep(found, (m.PYPI, name), str(pkg["version"]), name in direct if own else None)
    return found


def _uv_deps(pkg: dict[str, Any]) -> list[dict[str, Any]]:
    deps = list(pkg.get("dependencies") or [])
    for table in ("optional-dependencies", "dev-dependencies"):
        for group in (pkg.get(table) or {}).values():
            deps += group
    return deps


def parse_pipfile_lock(data: bytes) -> Packages:
    """Pipfile.lock: default and develop, `==1.2.3` each."""
    doc = m.json_of(data)
    found: Packages = {}
    for section in ("default", "develop"):
        for name, pin in (doc.get(section) or {}).items():
            if isinstance(pin, dict) and "version" in pin:
                _keep(found, (m.PYPI, m.pypi_name(name)), m.declared(pin["version"]), None)
    return found


# --- JavaScript --------------------------------------------------------------------------


def parse_package_lock(data: bytes) -> Packages:
    """package-lock.json / npm-shrinkwrap.json: v2 and v3's `packages` (top-level
    node_modules, direct from the root's declarations), v1's `dependencies`."""
    doc = m.json_of(data)
    found: Packages = {}
    packages = doc.get("packages")
    if isinstance(packages, dict):
        root = packages.get("") or {}
        declared = {n for t in ("dependencies", "devDependencies", "optionalDependencies") for n in root.get(t) or {}}  # fmt: skip
        for key, pkg in packages.items():
            name = key.rpartition("node_modules/")[2]
            if not key.startswith("node_modules/") or key.count("node_modules/") > 1:
                continue
            if isinstance(pkg, dict) and "version" in pkg and not pkg.get("link"):
                found[(m.NPM, pkg.get("name", name))] = (str(pkg["version"]), name in declared)
        return found
    for name, pkg in (doc.get("dependencies") or {}).items():
        if isinstance(pkg, dict) and "version" in pkg:
            found[(m.NPM, name)] = (str(pkg["version"]), None)
    return found


_PNPM_KEY = re.compile(r"^/?((?:@[^/@]+/)?[^/@(]+)[@/]([^/(_:]+)")
_SECTION_END = re.compile(r"\n(?=\S)")  # the next top-level key
# patterns start at a newline (no re.M: a literal prefix is searched for at C speed)
_PACKAGE_KEY = re.compile(r"\n  ([^ \n][^\n]*):(?=\n)")  # `  '@babel/core@7.24.5':`
_NAME_AT = {n: re.compile(rf"\n {{{n}}}('[^'\n]+'|[^ '\n:][^\n:]*):") for n in (2, 6)}
_PNPM_TABLES = ("dependencies", "devDependencies", "optionalDependencies")


def parse_pnpm_lock(data: bytes) -> Packages:
    """pnpm-lock.yaml (v5 `/name/1.0.0`, v6 `/name@1.0.0`, v9 `name@1.0.0`); direct are
    the importers' (or v5's root) dependencies.

    Read by its layout (pnpm writes one fixed layout: a top-level key per section, a
    package key at two spaces, an importer's dependency at six), with regular expressions
    over each section rather than a YAML parser: a YAML parser needs most of a second for
    a 500 KB lockfile, and a history holds thousands of them."""
    text = m.text_of(data)
    if not text.lstrip().startswith("lockfileVersion"):
        raise Malformed("no lockfileVersion")
    direct = {_unquote(k) for k in _NAME_AT[6].findall(_section(text, "importers"))}
    for table in _PNPM_TABLES:  # v5 without workspaces: the root's own tables
        direct.update(_unquote(k) for k in _NAME_AT[2].findall(_section(text, table)))
    versions: dict[str, str] = {}
    for key in _PACKAGE_KEY.findall(_section(text, "packages")):
        match = _PNPM_KEY.match(_unquote(key))
        if match:
            name, version = match[1], match[2]
            old = versions.get(name)
            if old is None or (old != version and version_key(version) > version_key(old)):
                versions[name] = version
    return {(m.NPM, name): (version, name in direct) for name, version in versions.items()}


def _section(text: str, name: str) -> str:
    """The lines under a top-level `name:` of a YAML file (each after its newline), up to the
    next top-level key."""
    start = text.find(f"\n{name}:")
    line_end = text.find("\n", start + 1) if start >= 0 else -1
    if line_end < 0:
        return ""
    end = _SECTION_END.search(text, line_end)
    return text[line_end : end.start() + 1 if end else len(text)] + "\n"


def _unquote(text: str) -> str:
    return text.strip().strip("'\"")


_YARN_ENTRY = re.compile(r'^"?((?:@[^@/"]+/)?[^@"]+)@')
# an entry's first line (not indented), or its version (v1 `version "1.0.0"`, berry `version: 1.0.0`)
_YARN_LINES = re.compile(r'\n(?:([^\s#][^\n]*)|  version:? "?([^"\n]+?)"?)(?=\r?\n)')


def parse_yarn_lock(data: bytes) -> Packages:
    """yarn.lock, v1 (`version "1.0.0"`) and berry (`version: 1.0.0`): each entry's name
    from its first descriptor; berry's workspace and patch entries skipped."""
    found: Packages = {}
    name: str | None = None
    for header, version in _YARN_LINES.findall("\n" + m.text_of(data) + "\n"):
        if header:
            match = _YARN_ENTRY.match(header)
            skip = "@workspace:" in header or "@patch:" in header or header.startswith("__metadata")
            name = match[1] if match and not skip else None
            if not match and not skip and header.rstrip().endswith(":"):
                raise Malformed(f"not a yarn.lock entry: {header!r}")
        elif name is not None:
            _keep(found, (m.NPM, name), version, None)
            name = None
    return found


# --- Rust, Go, Ruby, PHP, Java ------------------------------------------------------------


# One [[package]] as cargo writes it: name, version, then source unless it is the workspace's.
_CARGO_PACKAGE = re.compile(
    r'\[\[package\]\]\r?\nname = "([^"\n]+)"\r?\nversion = "([^"\n]+)"\r?\n(source = ")?'
)


def parse_cargo_lock(data: bytes) -> Packages:
    """Cargo.lock: every [[package]] from a registry or git (the workspace's own crates,
    with no source, are not dependencies).

    Cargo writes one layout (name, version, source first in each [[package]]): read by it
    when every [[package]] matches it, at C speed; otherwise, and to refuse a broken file,
    by tomllib (ten times slower on a long history of lockfiles)."""
    text = m.text_of(data)
    matches = _CARGO_PACKAGE.findall(text)
    if len(matches) != text.count("[[package]]") or "<<<<<<<" in text:
        return _cargo_by_toml(data)
    found: Packages = {}
    for name, version, source in matches:
        if source:
            _keep(found, (m.CRATES, name), version, None)
    return found


def _cargo_by_toml(data: bytes) -> Packages:
    found: Packages = {}
    for pkg in m.toml_of(data).get("package") or []:
        if pkg.get("source"):
            _keep(found, (m.CRATES, pkg["name"]), str(pkg["version"]), None)
    return found


def parse_go_sum(data: bytes) -> Packages:
    """go.sum: each module at the highest version it has a checksum for."""
    found: Packages = {}
    for line in m.text_of(data).splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 3 or not parts[2].startswith("h1:"):
            raise Malformed(f"not a go.sum line: {line!r}")
        _keep(found, (m.GO, parts[0]), parts[1].removesuffix("/go.mod"), None)
    return found


_GEM_SPEC = re.compile(r"^    ([^\s(]+) \(([^)]+)\)$")
_GEM_DEP = re.compile(r"^  ([^\s(!]+)")


def parse_gemfile_lock(data: bytes) -> Packages:
    """Gemfile.lock: the specs of its GEM, GIT and PATH sections (a platform suffix such as
    `-x86_64-linux` dropped); direct are those under DEPENDENCIES."""
    found: Packages = {}
    section, direct = "", set()
    for line in m.text_of(data).splitlines():
        if line and not line[0].isspace():
            section = line.strip()
        elif section == "DEPENDENCIES" and (dep := _GEM_DEP.match(line)):
            direct.add(dep[1])
        elif section in ("GEM", "GIT", "PATH") and (spec := _GEM_SPEC.match(line)):
            _keep(found, (m.GEMS, spec[1]), spec[2].split("-", 1)[0], None)
    if not section:
        raise Malformed("no section")
    return {key: (v, key[1] in direct) for key, (v, _) in found.items()}


def parse_composer_lock(data: bytes) -> Packages:
    """composer.lock: packages and packages-dev."""
    doc = m.json_of(data)
    found: Packages = {}
    for section in ("packages", "packages-dev"):
        for pkg in doc.get(section) or []:
            found[(m.PACKAGIST, str(pkg["name"]).lower())] = (str(pkg["version"]), None)
    return found


def parse_gradle_lock(data: bytes) -> Packages:
    """gradle.lockfile / dependency-locks/*.lockfile: `group:artifact:version=configurations`."""
    found: Packages = {}
    for line in m.text_of(data).splitlines():
        line = line.strip()
        if not line or line.startswith("#") or line.startswith("empty="):
            continue
        coords = line.split("=", 1)[0].split(":")
        if len(coords) != 3:
            raise Malformed(f"not a Gradle lock line: {line!r}")
        _keep(found, (m.MAVEN, f"{coords[0]}:{coords[1]}"), coords[2], None)
    return found


# A file's name (or path, for Gradle's lock folder) -> its parser. Globs over the name.
PARSERS: tuple[tuple[str, Parser], ...] = (
    ("*requirements*.txt", m.parse_requirements),
    ("pyproject.toml", m.parse_pyproject),
    ("poetry.lock", parse_poetry_lock),
    ("uv.lock", parse_uv_lock),
    ("Pipfile.lock", parse_pipfile_lock),
    ("package.json", m.parse_package_json),
    ("package-lock.json", parse_package_lock),
    ("npm-shrinkwrap.json", parse_package_lock),
    ("pnpm-lock.yaml", parse_pnpm_lock),
    ("yarn.lock", parse_yarn_lock),
    ("Cargo.lock", parse_cargo_lock),
    ("go.mod", m.parse_go_mod),
    ("go.sum", parse_go_sum),
    ("Gemfile.lock", parse_gemfile_lock),
    ("composer.json", m.parse_composer_json),
    ("composer.lock", parse_composer_lock),
    ("pom.xml", m.parse_pom),
    ("*.lockfile", parse_gradle_lock),
)

# What `git log` is limited to: the same names anywhere, but not in installed trees.
PATHSPECS = (
    *(f":(glob)**/{glob}" for glob, _ in PARSERS),
    ":(exclude,glob)**/node_modules/**",
    ":(exclude,glob)**/vendor/**",
)


def parser_for(path: str) -> Parser | None:
    """The parser of the file at `path` (from the repository's top), or None."""
    name = path.rsplit("/", 1)[-1]
    for glob, parser in PARSERS:
        if fnmatch.fnmatchcase(name, glob):
            if glob == "*.lockfile" and not (
                name == "gradle.lockfile" or "dependency-locks/" in path
            ):
                return None
            return parser
    return None
