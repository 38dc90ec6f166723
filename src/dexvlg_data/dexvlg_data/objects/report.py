"""The import report: one record per input mesh, imported or rejected (with the stage and the reason), written
as JSON for programs and as aligned text for people.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class ImportRecord:
    """What happened to one input: ``status`` is "imported" or "rejected"; rejected ones carry stage/code/reason."""

    name: str
    source: str
    status: str
    category: str = ""
    stage: str = ""
    code: str = ""
    reason: str = ""
    faces_in: int = 0
    faces_out: int = 0
    collision_pieces: int = 0
    parts: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ImportReport:
    """All records of a batch, with counts by outcome and by rejection reason."""

    records: list[ImportRecord] = field(default_factory=list)

    def add(self, record: ImportRecord) -> None:
        """Append one record."""
        self.records.append(record)

    @property
    def imported(self) -> list[ImportRecord]:
        """Records of meshes that became objects."""
        return [r for r in self.records if r.status == "imported"]

    @property
    def rejected(self) -> list[ImportRecord]:
        """Records of meshes that were refused."""
        return [r for r in self.records if r.status == "rejected"]

    def rejection_counts(self) -> dict[str, int]:
        """Rejections by reason code (empty, non-finite, zero-volume, soup, too-many-faces, ...)."""
        return dict(sorted(Counter(r.code for r in self.rejected).items()))

    def summary(self) -> dict[str, object]:
        """Totals: inputs, imported, rejected, rejections by code, total and per-stage seconds of imports."""
        stages: Counter[str] = Counter()
        for record in self.imported:
            stages.update(record.timings)
        return {
            "inputs": len(self.records),
            "imported": len(self.imported),
            "rejected": len(self.rejected),
            "rejections": self.rejection_counts(),
            "seconds": round(sum(r.seconds for r in self.records), 3),
            "stage_seconds": {k: round(v, 3) for k, v in sorted(stages.items())},
        }

    def to_dict(self) -> dict[str, object]:
        """Summary plus every record, as plain data."""
        return {"summary": self.summary(), "records": [asdict(r) for r in self.records]}

    def to_text(self) -> str:
        """A readable report: one line per input, then the rejection reasons in full."""
        s = self.summary()
        lines = [f"mesh import: {s['inputs']} inputs, {s['imported']} imported, {s['rejected']} rejected",
                 ""]
        width = max([len(r.name) for r in self.records] + [4])
        for r in self.records:
            if r.status == "imported":
                detail = (f"{r.faces_in} -> {r.faces_out} faces, {r.collision_pieces} convex pieces, "
                          f"parts: {', '.join(r.parts)} ({r.seconds:.1f} s)")
                lines.append(f"  ok        {r.name:<{width}}  {r.category:<14} {detail}")
                lines.extend(f"            {'':<{width}}  warning: {w}" for w in r.warnings)
            else:
                lines.append(f"  REJECTED  {r.name:<{width}}  {r.stage}/{r.code}: {r.reason}")
        if self.rejected:
            lines += ["", "rejections by reason:"]
            lines += [f"  {code}: {count}" for code, count in self.rejection_counts().items()]
        return "\n".join(lines) + "\n"

    def write(self, directory: str | Path, stem: str = "import_report") -> tuple[Path, Path]:
        """Write ``<stem>.json`` and ``<stem>.txt`` into ``directory``; returns both paths."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        json_path, text_path = out / f"{stem}.json", out / f"{stem}.txt"
        json_path.write_text(json.dumps(self.to_dict(), indent=2) + "\n")
        text_path.write_text(self.to_text())
        return json_path, text_path
