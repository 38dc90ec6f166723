"""Procedural part-labeled object families: parametric generators of everyday objects with exact part labels.

``generate("mug", 42)`` builds a watertight, part-labeled, colored :class:`PartObject`; ``list_categories()``
names the categories and ``splits`` says which are for training and which are held out.
"""

from dexvlg_data.objects.families.assembly import AssemblyError, PartAssembly
from dexvlg_data.objects.families.registry import (
    DIAGONAL_RANGE,
    PART_KINDS,
    FamilySpec,
    PartSpec,
    generate,
    get_spec,
    list_categories,
    object_id,
)
from dexvlg_data.objects.families.splits import (
    HELDOUT_CATEGORIES,
    HELDOUT_INSTANCE_SEEDS,
    TRAIN_CATEGORIES,
    TRAIN_SEEDS,
    split_members,
    split_of,
)

__all__ = [
    "DIAGONAL_RANGE", "HELDOUT_CATEGORIES", "HELDOUT_INSTANCE_SEEDS", "PART_KINDS", "TRAIN_CATEGORIES", "TRAIN_SEEDS",
    "AssemblyError", "FamilySpec", "PartAssembly", "PartSpec", "generate", "get_spec", "list_categories",
    "object_id", "split_members", "split_of",
]
