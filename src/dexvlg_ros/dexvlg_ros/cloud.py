"""numpy <-> sensor_msgs/PointCloud2 for colored clouds (x y z + packed rgb), organized or not.

The role sensor_msgs_py plays on a full ROS install (it is not on PyPI). Built for large clouds: reading views the
message buffer through a structured dtype without copying, writing fills one structured array and hands its bytes
to ``data`` through ``array.array`` (assigning a numpy array there is ~100x slower in rclpy).
"""

from __future__ import annotations

import array
from dataclasses import dataclass

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import PointCloud2, PointField

# PointField datatype -> numpy type code.
_FIELD_TYPES = {
    PointField.INT8: "i1",
    PointField.UINT8: "u1",
    PointField.INT16: "i2",
    PointField.UINT16: "u2",
    PointField.INT32: "i4",
    PointField.UINT32: "u4",
    PointField.FLOAT32: "f4",
    PointField.FLOAT64: "f8",
}

# What we write: 16-byte points, rgb as the float32 that carries 0x00RRGGBB (the PCL/rviz2 convention).
_XYZRGB_FIELDS = (("x", 0), ("y", 4), ("z", 8), ("rgb", 12))
_XYZRGB_DTYPE = np.dtype({"names": ["x", "y", "z", "rgb"], "formats": ["<f4", "<f4", "<f4", "<u4"],
                          "offsets": [0, 4, 8, 12], "itemsize": 16})


class CloudError(ValueError):
    """A PointCloud2 that cannot be read as a colored xyz cloud, with the reason."""


@dataclass
class Cloud:
    """Points (m) and colors (0-255); organized clouds keep their (height, width) shape."""

    points: np.ndarray  # (N, 3) or (H, W, 3) float32; NaN marks a missing point
    colors: np.ndarray  # same leading shape, 3 channels, uint8
    frame_id: str = ""

    @property
    def is_organized(self) -> bool:
        """True for an image-shaped (H, W) cloud."""
        return self.points.ndim == 3

    def flat(self, drop_invalid: bool = True) -> Cloud:
        """An unorganized copy, without NaN/inf points unless ``drop_invalid`` is False."""
        points = self.points.reshape(-1, 3)
        colors = self.colors.reshape(-1, 3)
        if drop_invalid:
            keep = np.all(np.isfinite(points), axis=1)
            points, colors = points[keep], colors[keep]
        return Cloud(points, colors, self.frame_id)


def pack_rgb(colors: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 colors -> (...,) uint32 0x00RRGGBB."""
    colors = np.asarray(colors, dtype=np.uint32)
    return (colors[..., 0] << 16) | (colors[..., 1] << 8) | colors[..., 2]


def unpack_rgb(packed: np.ndarray) -> np.ndarray:
    """(...,) uint32 0x00RRGGBB (or the float32 carrying it) -> (..., 3) uint8 colors."""
    packed = np.asarray(packed)
    if packed.dtype != np.uint32:
        packed = packed.view(np.uint32)
    return np.stack([(packed >> 16) & 0xFF, (packed >> 8) & 0xFF, packed & 0xFF], axis=-1).astype(np.uint8)


def cloud_to_msg(
    points: np.ndarray,
    colors: np.ndarray | None = None,
    frame_id: str = "",
    stamp: Time | None = None,
) -> PointCloud2:
    """Build a PointCloud2 (x y z rgb, 16-byte points) from (N, 3) or organized (H, W, 3) points.

    Colors default to white. NaN points are kept (organized clouds need them); ``is_dense`` says whether any exist.
    """
    points = np.asarray(points)
    if points.ndim not in (2, 3) or points.shape[-1] != 3:
        raise CloudError(f"points must have shape (N, 3) or (H, W, 3), got {points.shape}")
    height, width = (1, points.shape[0]) if points.ndim == 2 else points.shape[:2]
    if colors is None:
        colors = np.full(points.shape, 255, dtype=np.uint8)
    colors = np.asarray(colors)
    if colors.shape != points.shape:
        raise CloudError(f"colors shape {colors.shape} does not match points shape {points.shape}")

    buffer = np.empty(height * width, dtype=_XYZRGB_DTYPE)
    flat_points = points.reshape(-1, 3)
    buffer["x"], buffer["y"], buffer["z"] = flat_points[:, 0], flat_points[:, 1], flat_points[:, 2]
    buffer["rgb"] = pack_rgb(colors.reshape(-1, 3))

    msg = PointCloud2()
    msg.header.frame_id = frame_id
    if stamp is not None:
        msg.header.stamp = stamp
    msg.height, msg.width = int(height), int(width)
    msg.fields = [PointField(name=name, offset=offset, datatype=PointField.FLOAT32, count=1)
                  for name, offset in _XYZRGB_FIELDS]
    msg.is_bigendian = False
    msg.point_step = _XYZRGB_DTYPE.itemsize
    msg.row_step = msg.point_step * msg.width
    msg.is_dense = bool(np.all(np.isfinite(flat_points)))
    msg.data = array.array("B", buffer.tobytes())
    return msg


def _record_dtype(msg: PointCloud2) -> np.dtype:
    fields = {f.name: f for f in msg.fields}
    missing = [name for name in ("x", "y", "z") if name not in fields]
    if missing:
        raise CloudError(f"PointCloud2 has no field(s) {missing}; fields: {sorted(fields)}")
    endian = ">" if msg.is_bigendian else "<"
    names, formats, offsets = [], [], []
    for name in ("x", "y", "z", "rgb", "rgba"):
        if name not in fields:
            continue
        f = fields[name]
        if f.datatype not in _FIELD_TYPES:
            raise CloudError(f"field {name!r} has unknown datatype {f.datatype}")
        code = _FIELD_TYPES[f.datatype]
        if name in ("rgb", "rgba"):
            code = "u4"  # the float carries packed bytes: read the bits, never the float value
        names.append(name)
        formats.append(endian + code)
        offsets.append(f.offset)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": msg.point_step})


def msg_to_cloud(msg: PointCloud2) -> Cloud:
    """Read x y z and (packed) rgb/rgba from any PointCloud2 layout; organized clouds come back (H, W, 3).

    Missing color reads as white. Raises :class:`CloudError` when the message is inconsistent.
    """
    count = msg.height * msg.width
    if count == 0:
        return Cloud(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.uint8), msg.header.frame_id)
    dtype = _record_dtype(msg)
    if msg.point_step == 0 or msg.row_step < msg.point_step * msg.width:
        raise CloudError(f"inconsistent PointCloud2 steps: point_step={msg.point_step}, row_step={msg.row_step}, "
                         f"width={msg.width}")
    if len(msg.data) < msg.row_step * msg.height:
        raise CloudError(f"PointCloud2 data has {len(msg.data)} bytes, expected {msg.row_step * msg.height}")
    raw = np.frombuffer(msg.data, dtype=np.uint8, count=msg.row_step * msg.height)
    rows = raw.reshape(msg.height, msg.row_step)[:, : msg.point_step * msg.width]
    records = np.ascontiguousarray(rows).view(dtype).reshape(msg.height, msg.width)

    points = np.empty((msg.height, msg.width, 3), dtype=np.float32)
    points[..., 0], points[..., 1], points[..., 2] = records["x"], records["y"], records["z"]
    color_field = "rgb" if "rgb" in dtype.names else "rgba" if "rgba" in dtype.names else None
    if color_field is None:
        colors = np.full(points.shape, 255, dtype=np.uint8)
    else:
        colors = unpack_rgb(records[color_field].astype(np.uint32))
    if msg.height == 1:
        points, colors = points[0], colors[0]
    return Cloud(points, colors, msg.header.frame_id)
