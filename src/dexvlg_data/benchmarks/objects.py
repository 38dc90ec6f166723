"""Objects summary: the numbers issue 4 asks for, from the two object benchmarks' reports.

    python src/dexvlg_data/benchmarks/families.py        # generation objects/s  -> results/objects_families.json
    python src/dexvlg_data/benchmarks/import_meshes.py   # import objects/s, rejections -> results/objects_import.json
    python src/dexvlg_data/benchmarks/objects.py         # -> results/objects.json
"""

from __future__ import annotations

import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]


def summarize(families: dict, imports: dict) -> dict:
    """The headline numbers of both reports, side by side."""
    return {
        "categories": len(families["categories"]),
        "train_categories": len(families["train_categories"]),
        "heldout_categories": families["heldout_categories"],
        "generation_objects_per_s": families["generation"]["objects_per_s"],
        "import_objects_per_s": imports["import_objects_per_second"],
        "repair_plus_decomposition_objects_per_s": imports["repair_plus_decomposition_objects_per_second"],
        "import_inputs": imports["inputs"],
        "imported": imports["imported"],
        "rejected": imports["rejected"],
        "rejection_counts": imports["rejection_counts"],
        "obb_volume_ratio_vs_trimesh": imports["obb_vs_trimesh"],
        "part_kind_agreement_with_design": imports["part_kind_agreement_with_families"]["agreement"],
        "commands": [
            "python src/dexvlg_data/benchmarks/families.py",
            "python src/dexvlg_data/benchmarks/import_meshes.py",
            "python src/dexvlg_data/benchmarks/objects.py",
        ],
    }


def main() -> None:
    results = REPO_ROOT / "results"
    families = json.loads((results / "objects_families.json").read_text())
    imports = json.loads((results / "objects_import.json").read_text())
    summary = summarize(families, imports)
    (results / "objects.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
