"""Objects with semantic parts: procedural part-labeled families, imported meshes, and part geometry."""

from dexvlg_data.objects.part_object import PartObject

__all__ = ["PartObject"]
