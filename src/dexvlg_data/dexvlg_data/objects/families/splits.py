"""The one place that says which procedural objects are for training and which are held out.

Three test splits, as in the reference protocol: held-out categories (never generated for training), held-out
instances of training categories (a reserved seed range), and (elsewhere) imported real meshes.
"""

from __future__ import annotations

from typing import Literal

Split = Literal["train", "heldout_instance", "heldout_category"]

TRAIN_CATEGORIES: tuple[str, ...] = (
    "bottle", "bucket", "drill", "flashlight", "frying pan", "hammer", "headphones", "jar", "kettle", "knife",
    "lamp", "mug", "paintbrush", "rolling pin", "saucepan", "scissors", "screwdriver", "spatula", "spray bottle",
    "teacup", "teapot", "toothbrush", "wine glass", "wrench",
)
# Unseen categories whose part names (handle, body, lid, spout, head) and kinds are seen in training.
HELDOUT_CATEGORIES: tuple[str, ...] = (
    "axe", "dumbbell", "hair dryer", "ladle", "magnifying glass", "pitcher", "stock pot", "watering can",
)
# Seeds of training categories: [0, 90000) train, [90000, 100000) held-out instances. Ids stay 5 digits.
TRAIN_SEEDS = range(0, 90_000)
HELDOUT_INSTANCE_SEEDS = range(90_000, 100_000)
SEEDS = range(0, 100_000)


def split_of(category: str, seed: int) -> Split:
    """The split that procedural object (category, seed) belongs to."""
    name = category.replace("_", " ")
    if name in HELDOUT_CATEGORIES:
        return "heldout_category"
    if name not in TRAIN_CATEGORIES:
        raise KeyError(f"category {category!r} is in no split")
    if seed in HELDOUT_INSTANCE_SEEDS:
        return "heldout_instance"
    if seed in TRAIN_SEEDS:
        return "train"
    raise ValueError(f"seed {seed} outside {SEEDS}")


def split_members(split: Split, per_category: int) -> list[tuple[str, int]]:
    """The first ``per_category`` (category, seed) pairs of each category of a split, category-major."""
    if split == "train":
        cats, seeds = TRAIN_CATEGORIES, TRAIN_SEEDS
    elif split == "heldout_instance":
        cats, seeds = TRAIN_CATEGORIES, HELDOUT_INSTANCE_SEEDS
    elif split == "heldout_category":
        cats, seeds = HELDOUT_CATEGORIES, SEEDS
    else:
        raise ValueError(f"unknown split {split!r}")
    if per_category > len(seeds):
        raise ValueError(f"{split} has only {len(seeds)} seeds per category")
    return [(c, s) for c in cats for s in seeds[:per_category]]
