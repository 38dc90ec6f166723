"""HandModel: batched, differentiable Shadow Hand kinematics and geometry in torch.

    hand = HandModel(device="cpu", dtype=torch.float32)
    poses = hand.forward_kinematics(q, root_pos, root_rot)   # q (B, 22) real convention, JOINT_NAMES order
    points, normals = hand.surface_points(poses)             # (B, N, 3) each, world frame
    contacts, contact_normals = hand.contact_candidates(poses, "pinch")

The root pose (root_pos (B, 3), root_rot (B, 3, 3)) is the interchange hand root frame in the world; without
it, everything comes out in the hand root frame. Forward kinematics runs through pytorch-kinematics on the
MJCF (tendons ignored: the J1/J2 coupling is hand.coupling's business, grasps keep all 22 joints).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from dexvlg_core.hand.geometry import (
    CONTACT_SETS,
    HandGeometry,
    HandGeometryConfig,
    LocalPoints,
    build_geometry,
)
from dexvlg_core.hand.joints import (
    FINGERS,
    JOINT_NAMES,
    JOINT_SIGNS,
    LINK_NAMES,
    MODEL_JOINT_NAMES,
    model_link_name,
)
from dexvlg_core.hand.kinematics import build_chain
from dexvlg_core.hand.mjcf import build_hand_model, joint_limits


@dataclass(frozen=True)
class HandModelConfig:
    """Options of HandModel."""

    geometry: HandGeometryConfig = field(default_factory=HandGeometryConfig)
    # pytorch-kinematics' analytical Jacobian backward is faster than autograd through the chain; autograd
    # is needed for second derivatives (create_graph=True).
    analytical_grad: bool = True


@dataclass
class LinkPoses:
    """World poses of all LINK_NAMES links for a batch: x_world = rot @ x_link + pos."""

    rot: torch.Tensor  # (B, L, 3, 3)
    pos: torch.Tensor  # (B, L, 3)

    def transform(self, points: torch.Tensor, link: torch.Tensor) -> torch.Tensor:
        """Link-frame points (N, 3), each on link[n], -> world points (B, N, 3)."""
        return (self.rot[:, link] @ points.unsqueeze(-1)).squeeze(-1) + self.pos[:, link]

    def rotate(self, vectors: torch.Tensor, link: torch.Tensor) -> torch.Tensor:
        """Link-frame directions (N, 3) -> world directions (B, N, 3)."""
        return (self.rot[:, link] @ vectors.unsqueeze(-1)).squeeze(-1)

    def link(self, name: str) -> tuple[torch.Tensor, torch.Tensor]:
        """(rot (B, 3, 3), pos (B, 3)) of one link by real name, e.g. "rh_ffdistal"."""
        i = LINK_NAMES.index(name)
        return self.rot[:, i], self.pos[:, i]


class _Points:
    """A LocalPoints set as tensors on the model's device, moved link by link.

    Why per link: gathering one rotation per point would materialise a (B, N, 3, 3) tensor (75 MB for 1,024
    hands x 2,048 points); the sets are stored grouped by link, so one small matmul per run of points on the
    same link does the same with memory for the output only.
    """

    def __init__(self, local: LocalPoints, device: torch.device, dtype: torch.dtype):
        self.points = torch.as_tensor(local.points, device=device, dtype=dtype)
        self.link = torch.as_tensor(local.link, device=device, dtype=torch.long)
        self.normals = (
            None if local.normals is None else torch.as_tensor(local.normals, device=device, dtype=dtype)
        )
        starts = [0] + [i for i in range(1, len(local.link)) if local.link[i] != local.link[i - 1]]
        ends = starts[1:] + [len(local.link)]
        self._runs = [(int(local.link[a]), a, b) for a, b in zip(starts, ends, strict=True)]

    def _move(self, poses: LinkPoses, local: torch.Tensor, translate: bool) -> torch.Tensor:
        parts = []
        for link, a, b in self._runs:
            part = poses.rot[:, link] @ local[a:b].T  # (B, 3, n)
            if translate:
                part = part + poses.pos[:, link, :, None]
            parts.append(part)
        return torch.cat(parts, dim=-1).transpose(1, 2)

    def world(self, poses: LinkPoses) -> tuple[torch.Tensor, torch.Tensor | None]:
        points = self._move(poses, self.points, translate=True)
        normals = None if self.normals is None else self._move(poses, self.normals, translate=False)
        return points, normals


class HandModel:
    """The 22-DoF Shadow Hand (wrist fixed) for batched optimisation and learning."""

    joint_names: tuple[str, ...] = JOINT_NAMES
    link_names: tuple[str, ...] = LINK_NAMES

    def __init__(
        self,
        device: str | torch.device = "cpu",
        dtype: torch.dtype = torch.float32,
        config: HandModelConfig | None = None,
    ):
        self.device, self.dtype = torch.device(device), dtype
        self.config = config or HandModelConfig()
        self.chain = build_chain(dtype=dtype, device=self.device)
        self.mj_model = build_hand_model()

        lower, upper = joint_limits(self.mj_model)
        self.lower = torch.as_tensor(lower, device=self.device, dtype=dtype)  # (22,) real convention
        self.upper = torch.as_tensor(upper, device=self.device, dtype=dtype)

        # chain column of each of our 22 joints, and real -> model signs
        chain_joints = self.chain.get_joint_parameter_names()
        self._chain_order = torch.tensor(
            [chain_joints.index(name) for name in MODEL_JOINT_NAMES], device=self.device
        )
        self._to_chain = torch.argsort(self._chain_order)
        self._signs = torch.as_tensor(JOINT_SIGNS, device=self.device, dtype=dtype)
        self._frames = torch.as_tensor(
            self.chain.get_frame_indices(*[model_link_name(link) for link in LINK_NAMES]), device=self.device
        )

        self.geometry: HandGeometry = build_geometry(self.mj_model, self.config.geometry)
        g = self.geometry
        self._surface = _Points(g.surface, self.device, dtype)
        self._contact = _Points(g.contact, self.device, dtype)
        self._keypoints = _Points(g.keypoints, self.device, dtype)
        self._spheres = _Points(g.spheres, self.device, dtype)
        self._tips = _Points(g.fingertips, self.device, dtype)
        self.sphere_radii = torch.as_tensor(g.sphere_radii, device=self.device, dtype=dtype)
        self._init_sphere_clusters(g)
        self.front_links: tuple[str, ...] = g.front_links
        self._front = _Points(
            # directions only: the points are unused placeholders at the link origins
            LocalPoints(
                np.zeros_like(g.front_axes),
                np.array([LINK_NAMES.index(n) for n in g.front_links]),
                g.front_axes,
            ),
            self.device,
            dtype,
        )
        self.contact_labels: tuple[str, ...] = g.contact_labels

    # ------------------------------------------------------------------------------------------ kinematics
    def forward_kinematics(
        self,
        q: torch.Tensor,
        root_pos: torch.Tensor | None = None,
        root_rot: torch.Tensor | None = None,
    ) -> LinkPoses:
        """Poses of all links for joint positions q (B, 22), optionally placed at a root pose."""
        if q.shape[-1] != len(JOINT_NAMES):
            raise ValueError(f"q must be (B, {len(JOINT_NAMES)}), got {tuple(q.shape)}")
        th = (q * self._signs)[:, self._to_chain]  # real -> MJCF convention, chain column order
        frames = self.chain.forward_kinematics_tensor(th, analytical_grad=self.config.analytical_grad)
        mats = frames[self._frames].transpose(0, 1)  # (B, L, 4, 4), hand root frame
        rot, pos = mats[..., :3, :3], mats[..., :3, 3]
        if root_rot is not None:
            rot = root_rot.unsqueeze(1) @ rot
            pos = (root_rot.unsqueeze(1) @ pos.unsqueeze(-1)).squeeze(-1)
        if root_pos is not None:
            pos = pos + root_pos.unsqueeze(1)
        return LinkPoses(rot, pos)

    # ------------------------------------------------------------------------------------------ geometry
    def surface_points(self, poses: LinkPoses) -> tuple[torch.Tensor, torch.Tensor]:
        """Surface samples (B, N, 3) and outward unit normals (B, N, 3); link of each: surface_link."""
        return self._surface.world(poses)

    @property
    def surface_link(self) -> torch.Tensor:
        return self._surface.link

    def contact_indices(self, kind: str = "wrap") -> torch.Tensor:
        """Indices into the full candidate set of the points of a contact split ("wrap" or "pinch")."""
        if kind not in CONTACT_SETS:
            raise KeyError(f"contact set must be one of {tuple(CONTACT_SETS)}, not {kind!r}")
        keep = [i for i, label in enumerate(self.contact_labels) if label in CONTACT_SETS[kind]]
        return torch.tensor(keep, device=self.device, dtype=torch.long)

    def contact_candidates(self, poses: LinkPoses, kind: str = "wrap") -> tuple[torch.Tensor, torch.Tensor]:
        """Palmar contact candidates (B, C, 3) and outward normals of a split ("wrap" or "pinch").

        Which finger each point belongs to: contact_point_labels(kind) ("FF".."TH", "palm").
        """
        points, normals = self._contact.world(poses)
        idx = self.contact_indices(kind)
        return points[:, idx], normals[:, idx]

    def contact_point_labels(self, kind: str = "wrap") -> tuple[str, ...]:
        return tuple(self.contact_labels[i] for i in self.contact_indices(kind).tolist())

    def front_normals(self, poses: LinkPoses) -> torch.Tensor:
        """Palmar unit normal (B, len(front_links), 3) of palm and finger links (pads face this way)."""
        return self._front.world(poses)[1]

    def penetration_keypoints(self, poses: LinkPoses) -> torch.Tensor:
        """Keypoints (B, K, 3) spread over the collision surfaces; test them against an object SDF."""
        return self._keypoints.world(poses)[0]

    def self_collision_spheres(self, poses: LinkPoses) -> tuple[torch.Tensor, torch.Tensor]:
        """Sphere centres (B, S, 3) and radii (S,) covering the collision geoms; link of each: sphere_link."""
        return self._spheres.world(poses)[0], self.sphere_radii

    @property
    def sphere_link(self) -> torch.Tensor:
        return self._spheres.link

    def _init_sphere_clusters(self, g: HandGeometry, cluster_size: int = 12) -> None:
        """Bounding spheres of small clusters of collision spheres (each within one link), and the sphere pairs
        grouped by cluster pair.

        Broad phase of self_penetration: two clusters whose bounding spheres are apart cannot overlap, so their
        sphere pairs (most of the ~22,000) are skipped; the result is the same, values and gradients. Links
        with many spheres (the palm: ~150) are split by halving along their widest axis, so that a finger
        near one corner of the palm does not test the whole palm.
        """
        centres, links = np.asarray(g.spheres.points), np.asarray(g.spheres.link)
        radii = np.asarray(g.sphere_radii)

        def split(members: np.ndarray) -> list[np.ndarray]:
            if len(members) <= cluster_size:
                return [members]
            local = centres[members]
            axis = int(np.argmax(local.max(axis=0) - local.min(axis=0)))
            order = members[np.argsort(local[:, axis], kind="stable")]
            half = len(order) // 2
            return split(order[:half]) + split(order[half:])

        cluster_of = np.empty(len(links), dtype=np.int64)
        bound_link, bound_centre, bound_radius = [], [], []
        for link in np.unique(links):
            for members in split(np.flatnonzero(links == link)):
                cluster_of[members] = len(bound_link)
                centre = centres[members].mean(axis=0)
                bound_link.append(int(link))
                bound_centre.append(centre)
                bound_radius.append(float((np.linalg.norm(centres[members] - centre, axis=1) + radii[members]).max()))
        pairs = np.asarray(g.sphere_pairs)
        pair_clusters = np.sort(np.stack([cluster_of[pairs[:, 0]], cluster_of[pairs[:, 1]]], axis=1), axis=1)
        cluster_pairs, group = np.unique(pair_clusters, axis=0, return_inverse=True)
        order = np.argsort(group.ravel(), kind="stable")
        self._pairs = torch.as_tensor(pairs[order], device=self.device, dtype=torch.long)
        self._pair_group = torch.as_tensor(group.ravel()[order], device=self.device, dtype=torch.long)
        self._bound_link = torch.as_tensor(bound_link, device=self.device, dtype=torch.long)
        self._bound_centre = torch.as_tensor(np.array(bound_centre), device=self.device, dtype=self.dtype)
        self._bound_radius = torch.as_tensor(bound_radius, device=self.device, dtype=self.dtype)
        self._bound_pairs = torch.as_tensor(cluster_pairs, device=self.device, dtype=torch.long)
        self._pairs_touching_cache: dict[bytes | None, tuple[torch.Tensor, ...]] = {}

    @property
    def sphere_pairs(self) -> torch.Tensor:
        """(P, 2) sphere indices of the pairs self_penetration reports, in its column order."""
        return self._pairs

    def self_penetration(self, poses: LinkPoses) -> torch.Tensor:
        """Per-pair sphere overlap (B, P) in metres over the pairs that may collide (0 where apart); columns in
        ``sphere_pairs`` order.
        """
        centres, radii = self.self_collision_spheres(poses)
        pairs, keep = self._broad_phase(poses, None)
        i, j = pairs[keep, 0], pairs[keep, 1]
        overlap = torch.relu(radii[i] + radii[j] - torch.linalg.vector_norm(centres[:, i] - centres[:, j], dim=-1))
        out = centres.new_zeros(centres.shape[0], len(self._pairs))
        out[:, keep] = overlap
        return out

    @torch.no_grad()
    def _broad_phase(self, poses: LinkPoses, spheres: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        """The sphere pairs (those with a sphere in ``spheres``; None: all, ``_pairs``) and the indices among them
        of the pairs whose clusters' bounds touch in some hand of the batch: the others cannot overlap.
        """
        pairs, group, bound_pairs, clusters = self._pairs_touching(spheres)
        link = self._bound_link[clusters]
        bounds = (poses.rot[:, link] @ self._bound_centre[clusters].unsqueeze(-1)).squeeze(-1) + poses.pos[:, link]
        a, b = bound_pairs[:, 0], bound_pairs[:, 1]
        gap = torch.linalg.vector_norm(bounds[:, a] - bounds[:, b], dim=-1)
        radius = self._bound_radius[clusters]
        near = (gap < radius[a] + radius[b]).any(dim=0)
        return pairs, near[group].nonzero().squeeze(-1)

    def _pairs_touching(self, spheres: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        """The broad phase's tables restricted to sphere pairs with a sphere in ``spheres`` (None: all): the pairs,
        their cluster pair (renumbered), the cluster pairs (as positions in the clusters) and the clusters used.
        Cached per mask: close_fingers asks for the same few finger masks hundreds of times.
        """
        key = None if spheres is None else spheres.cpu().numpy().tobytes()
        cache = self._pairs_touching_cache
        if key not in cache:
            if spheres is None:  # every pair and every cluster
                clusters = torch.arange(len(self._bound_link), device=self.device)
                cache[key] = (self._pairs, self._pair_group, self._bound_pairs, clusters)
            else:
                relevant = spheres[self._pairs[:, 0]] | spheres[self._pairs[:, 1]]
                pairs, group = self._pairs[relevant], self._pair_group[relevant]
                groups = torch.unique(group)
                bound_pairs, group = self._bound_pairs[groups], torch.searchsorted(groups, group)
                clusters = torch.unique(bound_pairs)
                cache[key] = (pairs, group, torch.searchsorted(clusters, bound_pairs), clusters)
        return cache[key]

    def max_self_overlap(self, poses: LinkPoses, spheres: torch.Tensor | None = None,
                         centres: torch.Tensor | None = None) -> torch.Tensor:
        """(B,) largest sphere overlap in metres, over the pairs with a sphere in ``spheres`` ((S,) bool; None: all).

        Equals ``self_penetration(poses)`` maximized over those pairs' columns, without the (B, P) table: a
        search that moves one finger (closing.close_fingers) only needs the pairs that finger's spheres are in,
        about a tenth of them. ``centres``: the posed sphere centres (self_collision_spheres), if already known.
        """
        radii = self.sphere_radii
        if centres is None:
            centres, _ = self.self_collision_spheres(poses)
        pairs, keep = self._broad_phase(poses, spheres)
        if len(keep) == 0:
            return centres.new_zeros(centres.shape[0])
        i, j = pairs[keep, 0], pairs[keep, 1]
        overlap = torch.relu(radii[i] + radii[j] - torch.linalg.vector_norm(centres[:, i] - centres[:, j], dim=-1))
        return overlap.amax(dim=-1)

    def fingertips(self, poses: LinkPoses) -> torch.Tensor:
        """Fingertip sites (B, 5, 3) in FINGERS order (FF, MF, RF, LF, TH)."""
        return self._tips.world(poses)[0]

    # ------------------------------------------------------------------------------------------ joints
    def clamp(self, q: torch.Tensor) -> torch.Tensor:
        return torch.maximum(torch.minimum(q, self.upper), self.lower)

    def random_q(self, batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Uniform joint positions within the limits (B, 22)."""
        u = torch.rand(batch, len(JOINT_NAMES), generator=generator, device=self.device, dtype=self.dtype)
        return self.lower + u * (self.upper - self.lower)


assert len(FINGERS) == 5
