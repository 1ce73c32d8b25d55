"""The declared model of one `ktlo classify --jsonl` line (ktlo.classify.jsonl reads it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, FiniteFloat, StrictInt, StrictStr

from ktlo.records import WorkText


class JsonlItem(BaseModel):
    """One input line of `ktlo classify --jsonl`."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)

    id: StrictStr | StrictInt | FiniteFloat | None = None
    title: str
    body: str | None = None
    files: list[str] | None = None
    labels: list[str] | None = None
    author: str | None = None
    issue_type: str | None = None
    kind: str | None = None

    def work_text(self) -> WorkText:
        """What the classifier reads of this line."""
        return WorkText(
            title=self.title, body=self.body or "", files=tuple(self.files or ()),
            labels=tuple(self.labels or ()), author=self.author or "",
            issue_type=self.issue_type or "", kind=self.kind or "",
        )  # fmt: skip
