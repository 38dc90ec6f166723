import array
import time

import numpy as np
import pytest
from sensor_msgs.msg import PointCloud2, PointField

from dexvlg_ros.cloud import CloudError, cloud_to_msg, msg_to_cloud, pack_rgb, unpack_rgb


def colored_cloud(n: int, seed: int = 0, nan_fraction: float = 0.1):
    rng = np.random.default_rng(seed)
    points = rng.normal(size=(n, 3)).astype(np.float32)
    points[rng.random(n) < nan_fraction] = np.nan
    colors = rng.integers(0, 256, size=(n, 3), dtype=np.uint8)
    return points, colors


def test_rgb_packing_round_trip():
    colors = np.array([[255, 0, 0], [0, 255, 0], [0, 0, 255], [1, 2, 3]], dtype=np.uint8)
    packed = pack_rgb(colors)
    assert packed[0] == 0xFF0000 and packed[3] == 0x010203
    np.testing.assert_array_equal(unpack_rgb(packed.view(np.float32)), colors)


def test_unorganized_round_trip_keeps_nans():
    points, colors = colored_cloud(1000)
    msg = cloud_to_msg(points, colors, frame_id="camera_color_optical_frame")
    assert (msg.height, msg.width, msg.point_step) == (1, 1000, 16)
    assert not msg.is_dense
    cloud = msg_to_cloud(msg)
    assert cloud.frame_id == "camera_color_optical_frame" and not cloud.is_organized
    np.testing.assert_array_equal(cloud.points, points)  # NaN == NaN for assert_array_equal
    np.testing.assert_array_equal(cloud.colors, colors)
    assert len(cloud.flat().points) == int(np.all(np.isfinite(points), axis=1).sum())


def test_organized_round_trip():
    points, colors = colored_cloud(48 * 64, seed=1)
    points, colors = points.reshape(48, 64, 3), colors.reshape(48, 64, 3)
    msg = cloud_to_msg(points, colors)
    assert (msg.height, msg.width, msg.row_step) == (48, 64, 64 * 16)
    cloud = msg_to_cloud(msg)
    assert cloud.is_organized
    np.testing.assert_array_equal(cloud.points, points)
    np.testing.assert_array_equal(cloud.colors, colors)


def test_reads_foreign_layouts_padding_and_rgba():
    """A RealSense-like layout: 32-byte points, rgba field, padded rows."""
    points, colors = colored_cloud(10, seed=2, nan_fraction=0.0)
    dtype = np.dtype({"names": ["x", "y", "z", "rgba"], "formats": ["<f4"] * 3 + ["<u4"],
                      "offsets": [0, 4, 8, 16], "itemsize": 32})
    records = np.zeros(10, dtype)
    records["x"], records["y"], records["z"] = points.T
    records["rgba"] = pack_rgb(colors) | 0xFF000000
    row = records.tobytes() + b"\0" * 8
    msg = PointCloud2(height=1, width=10, point_step=32, row_step=len(row), is_dense=True)
    msg.fields = [PointField(name=n, offset=o, datatype=PointField.FLOAT32, count=1)
                  for n, o in (("x", 0), ("y", 4), ("z", 8), ("rgba", 16))]
    msg.data = array.array("B", row)
    cloud = msg_to_cloud(msg)
    np.testing.assert_array_equal(cloud.points, points)
    np.testing.assert_array_equal(cloud.colors, colors)


def test_empty_cloud_reads_as_zero_points():
    cloud = msg_to_cloud(PointCloud2())
    assert cloud.points.shape == (0, 3) and cloud.colors.shape == (0, 3)


def test_bad_clouds_raise_clear_errors():
    with pytest.raises(CloudError, match="no field"):
        msg_to_cloud(PointCloud2(height=1, width=1, point_step=4, row_step=4, data=[0, 0, 0, 0]))
    msg = cloud_to_msg(np.zeros((5, 3), np.float32))
    msg.data = msg.data[:40]
    with pytest.raises(CloudError, match="bytes"):
        msg_to_cloud(msg)
    with pytest.raises(CloudError, match="shape"):
        cloud_to_msg(np.zeros((5, 2)))
    with pytest.raises(CloudError, match="colors shape"):
        cloud_to_msg(np.zeros((5, 3)), np.zeros((4, 3), np.uint8))


def test_300k_points_convert_fast():
    """Guards against the 100x slow path (numpy assigned to data); generous bound for shared CI machines."""
    points, colors = colored_cloud(300_000, seed=3)
    start = time.perf_counter()
    msg = cloud_to_msg(points, colors)
    cloud = msg_to_cloud(msg)
    elapsed = time.perf_counter() - start
    np.testing.assert_array_equal(cloud.colors, colors)
    assert elapsed < 1.0, f"300k-point round trip took {elapsed:.3f} s"
