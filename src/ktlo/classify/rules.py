"""The organisation's own rules from ktlo.toml: ordered, first match wins, above every signal."""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass

from ktlo.classify.taxonomy import INVESTMENTS, SUBCATEGORIES, investment_of
from ktlo.config import Config, Rule
from ktlo.errors import ConfigError
from ktlo.records import Reason


@dataclass(frozen=True, slots=True)
class RuleSubject:
    """What a rule can look at."""

    source: str = ""
    repository: str = ""
    files: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    issue_type: str = ""
    project: str = ""
    epic: str = ""
    components: tuple[str, ...] = ()
    title: str = ""
    author: str = ""


@dataclass(frozen=True, slots=True)
class CompiledRule:
    number: int
    rule: Rule
    investment: str
    subcategory: str | None
    title: re.Pattern[str] | None

    def matches(self, item: RuleSubject) -> bool:
        m = self.rule.match
        return (
            _same(m.source, item.source)
            and (m.repository is None or _same_repo(m.repository, item.repository))
            and (m.path is None or any(fnmatch.fnmatch(f, m.path) for f in item.files))
            and (m.label is None or any(_same(m.label, label) for label in item.labels))
            and _same(m.issue_type, item.issue_type)
            and _same(m.project, item.project)
            and _same(m.epic, item.epic)
            and (m.component is None or any(_same(m.component, c) for c in item.components))
            and (self.title is None or bool(self.title.search(item.title)))
            and (m.author is None or m.author.lower() in item.author.lower())
        )

    def reason(self) -> Reason:
        conditions = ", ".join(
            f"{k}={v!r}" for k, v in self.rule.match.model_dump().items() if v is not None
        )
        note = f" ({self.rule.note})" if self.rule.note else ""
        return Reason("rule", f"#{self.number} {conditions} → {self.rule.assign}{note}")


def compile_rules(config: Config) -> list[CompiledRule]:
    """Validate each rule's category against the taxonomy and the config's own categories."""
    custom = {c.name: c.investment for c in config.categories.add}
    compiled = []
    for number, rule in enumerate(config.rules, start=1):
        investment, subcategory = parse_category(rule.assign, custom)
        title = re.compile(rule.match.title, re.IGNORECASE) if rule.match.title else None
        compiled.append(CompiledRule(number, rule, investment, subcategory, title))
    return compiled


def parse_category(label: str, custom: dict[str, str] | None = None) -> tuple[str, str | None]:
    """`ktlo/security`, `security`, `ktlo` or a custom category -> (investment, subcategory)."""
    custom = custom or {}
    text = label.strip().lower()
    investment, _, subcategory = text.partition("/")
    if not subcategory:
        if investment in INVESTMENTS:
            return investment, None
        subcategory, investment = investment, custom.get(investment) or investment_of(investment)
    known = investment_of(subcategory) if subcategory in SUBCATEGORIES else custom.get(subcategory)
    if known is None or known != investment:
        choices = ", ".join(
            [f"{investment_of(s)}/{s}" for s in SUBCATEGORIES]
            + [f"{i}/{c}" for c, i in custom.items()]
        )
        raise ConfigError(f"unknown category {label!r}", f"use one of {choices}")
    return investment, subcategory


def first_match(rules: list[CompiledRule], item: RuleSubject) -> CompiledRule | None:
    for rule in rules:
        if rule.matches(item):
            return rule
    return None


def _same(wanted: str | None, actual: str) -> bool:
    return wanted is None or wanted.strip().lower() == (actual or "").strip().lower()


def _same_repo(wanted: str, actual: str) -> bool:
    wanted, actual = wanted.strip().lower().removesuffix(".git"), (actual or "").lower()
    return actual == wanted or actual.endswith("/" + wanted) or actual.endswith(":" + wanted)
