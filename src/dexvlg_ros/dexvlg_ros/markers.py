"""rviz2 markers for grasps: one arrow per wrist (along the finger axis) and the rank as text."""

from __future__ import annotations

from geometry_msgs.msg import Point
from std_msgs.msg import ColorRGBA, Header
from visualization_msgs.msg import Marker, MarkerArray

from dexvlg_core.grasp import Grasp

NAMESPACE = "dexvlg_grasps"


def grasp_markers(grasps: list[Grasp], header: Header, length: float = 0.08) -> MarkerArray:
    """Markers for ranked grasps (best green, worst red); the first marker deletes the previous set."""
    markers = [Marker(header=header, ns=NAMESPACE, action=Marker.DELETEALL)]
    count = max(len(grasps) - 1, 1)
    for rank, grasp in enumerate(grasps):
        fraction = rank / count
        color = ColorRGBA(r=fraction, g=1.0 - fraction, b=0.1, a=0.9)
        start = grasp.position
        tip = start + grasp.rotation[:, 2] * length  # fingers point along the hand's +z
        arrow = Marker(header=header, ns=NAMESPACE, id=2 * rank, type=Marker.ARROW, action=Marker.ADD, color=color)
        arrow.points = [Point(x=float(start[0]), y=float(start[1]), z=float(start[2])),
                        Point(x=float(tip[0]), y=float(tip[1]), z=float(tip[2]))]
        arrow.scale.x, arrow.scale.y, arrow.scale.z = 0.008, 0.016, 0.02
        label = Marker(header=header, ns=NAMESPACE, id=2 * rank + 1, type=Marker.TEXT_VIEW_FACING,
                       action=Marker.ADD, color=color, text=f"{rank + 1}")
        label.pose.position = Point(x=float(tip[0]), y=float(tip[1]), z=float(tip[2]) + 0.01)
        label.scale.z = 0.02
        markers += [arrow, label]
    return MarkerArray(markers=markers)
