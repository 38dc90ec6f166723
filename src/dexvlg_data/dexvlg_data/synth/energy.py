"""Grasp synthesis energies (DexGraspNet 3.0): each term a batched torch function, and GraspEnergy combining them.

    E = w_fc E_fc + w_bar E_bar + w_tip E_tip + w_palm E_palm + w_pen E_pen + w_spen E_spen + w_jl E_jl + w_dir E_dir

Every term returns one value per grasp (B,), so a batch is optimized as independent problems by summing. The
contacts of a style are the palmar candidate points of its split (wrap: five fingertips + palm; pinch: thumb,
index, middle + palm); per finger the candidate nearest the object is that finger's contact.
"""

from __future__ import annotations

import torch
from scipy.spatial import cKDTree

from dexvlg_core.hand.joints import LINK_NAMES
from dexvlg_core.hand.model import HandModel, LinkPoses
from dexvlg_core.sampling import farthest_point_indices
from dexvlg_data.objects.part_geometry import LID
from dexvlg_data.synth.config import EnergyConfig
from dexvlg_data.synth.context import SynthObject, forearm_planes
from dexvlg_data.synth.force_closure import force_closure_energy
from dexvlg_data.synth.sdf import ObjectSDF


# ---------------------------------------------------------------------------------------------- terms
def hand_in_object_energy(distance: torch.Tensor, margin: float = 0.0) -> torch.Tensor:
    """(B,) summed depth of hand surface points inside the object; distance (B, N) = object SDF at them."""
    return torch.relu(margin - distance).sum(-1)


def penetrating_distance(sdf: ObjectSDF, points: torch.Tensor, margin: float = 0.0) -> torch.Tensor:
    """(B, N) object SDF at hand points (B, N, 3) whose gradient reaches only the points closer than ``margin``.

    The values are the SDF's at every point; the penetration energy is flat (relu) everywhere else, so only the
    few points near or inside the surface are looked up again with autograd. Value and gradient equal those of
    ``sdf.distance(points)`` in hand_in_object_energy, without the grid-sampling backward over every hand point
    (~65,000 per step of a batch of 16), a tenth of an optimizer step.
    """
    with torch.no_grad():
        distance = sdf.distance(points)
        batch, point = torch.nonzero(distance < margin, as_tuple=True)
    return distance.index_put((batch, point), sdf.distance(points[batch, point]))


def sphere_penetration_energy(centre_distance: torch.Tensor, radii: torch.Tensor, margin: float = 0.0) -> torch.Tensor:
    """(B,) summed overlap of the hand's collision spheres with the object; centre_distance (B, S) = object SDF
    at the sphere centres, radii (S,).

    r - sdf(centre) is the sphere's exact overlap whatever the object's shape, so corners and thin edges that
    slip between surface samples are caught; the spheres tile the finger capsules closely.
    """
    return torch.relu(radii + margin - centre_distance).sum(-1)


def penetration_energy(hand_distance: torch.Tensor, centre_distance: torch.Tensor, radii: torch.Tensor,
                       margin: float = 0.0) -> torch.Tensor:
    """(B,) hand-object penetration: hand surface points inside the object plus collision-sphere overlap."""
    return hand_in_object_energy(hand_distance, margin) + sphere_penetration_energy(centre_distance, radii, margin)


def hull_penetration_energy(points: torch.Tensor, planes: torch.Tensor, margin: float = 0.0,
                            screen: torch.Tensor | None = None) -> torch.Tensor:
    """(B,) summed depth of points (B, M, 3) inside a convex hull given by planes (K, 4) in the points' frame.

    Depth is -max_k(n_k . x - d_k), the exact distance to the hull's surface for a point inside it. Which plane
    is the max and which points are inside are picked without autograd; only those points' depths to that plane
    carry the gradient. Value and gradient equal those of the amax over all (B, M, K) plane distances, whose
    backward pass was a third of an optimizer step (most object samples are far outside the forearm).
    ``screen``: indices of a few planes tried first; a point at least ``margin`` outside one of them is outside
    them all, so only the rest are tested against every plane (hull_screen).
    """
    with torch.no_grad():
        if screen is None:
            batch, point = torch.meshgrid(torch.arange(points.shape[0]), torch.arange(points.shape[1]), indexing="ij")
            batch, point = batch.reshape(-1), point.reshape(-1)
        else:
            rough = (points @ planes[screen, :3].T - planes[screen, 3]).amax(dim=-1)
            batch, point = torch.nonzero(rough < margin, as_tuple=True)
        signed, plane = (points[batch, point] @ planes[:, :3].T - planes[:, 3]).max(dim=-1)
        inside = signed < margin
        batch, point, nearest = batch[inside], point[inside], plane[inside]
    depth = margin - ((points[batch, point] * planes[nearest, :3]).sum(-1) - planes[nearest, 3])
    return points.new_zeros(points.shape[0]).index_add(0, batch, depth)


def hull_screen(planes: torch.Tensor, count: int = 8) -> torch.Tensor:
    """Indices of ``count`` planes (K, 4) with normals spread by farthest-point sampling (hull_penetration_energy):
    most object samples lie well outside one of them, which settles them at an eighth of the cost of all 64.
    """
    return torch.as_tensor(farthest_point_indices(planes[:, :3].double().numpy(), min(count, len(planes))))


def self_penetration_energy(overlap: torch.Tensor) -> torch.Tensor:
    """(B,) summed overlap (B, P) of the hand's collision-sphere pairs (HandModel.self_penetration)."""
    return overlap.sum(-1)


def joint_limit_energy(q: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """(B,) summed excursion of joints q (B, 22) beyond their limits."""
    return (torch.relu(q - upper) + torch.relu(lower - q)).sum(-1)


def nearest_other(points: torch.Tensor, other_points: torch.Tensor, tree: cKDTree | None = None) -> torch.Tensor:
    """(B, T) distance from each point (B, T, 3) to its nearest sample of ``other_points`` (K, 3), differentiable.

    Which sample is nearest is a choice, not a gradient path: it is picked without autograd (by ``tree``, a
    cKDTree over other_points, when given), and only the distance to it carries the gradient. Value and
    gradient equal those of a min over all pairwise distances, without backpropagating through the (B, T, K)
    distance matrix (that backward pass was most of an optimizer step).
    """
    with torch.no_grad():
        if tree is not None:
            index = torch.as_tensor(tree.query(points.detach().reshape(-1, 3).double().numpy(), k=1)[1])
            index = index.reshape(points.shape[:-1])
        else:
            index = torch.cdist(points, other_points.expand(points.shape[0], -1, -1)).argmin(dim=-1)
    return torch.linalg.vector_norm(points - other_points[index], dim=-1)


def barrier_energy(points: torch.Tensor, other_points: torch.Tensor, distance: float = 0.02,
                   floor: float = 1e-3, weights: torch.Tensor | None = None, tree: cKDTree | None = None,
                   ) -> torch.Tensor:
    """(B,) truncated log barrier keeping hand points (B, T, 3) off other parts' samples (K, 3).

    Per point: -log(min(d / distance, 1)) with d its distance to the nearest other-part sample (clamped at
    ``floor`` * distance so the value stays finite); zero beyond ``distance``. ``weights`` (B, T) scale points;
    ``tree``: a cKDTree over other_points for the nearest-sample search.
    """
    if other_points.numel() == 0:
        return points.new_zeros(points.shape[0])
    if weights is None:
        return -torch.log(torch.clamp(nearest_other(points, other_points, tree) / distance, floor, 1.0)).sum(-1)
    # Only weighted points count: search neighbours for those alone (few hand points touch the object).
    hand, point = weights.nonzero(as_tuple=True)
    near = nearest_other(points[hand, point].unsqueeze(0), other_points, tree)[0]
    value = -torch.log(torch.clamp(near / distance, floor, 1.0)) * weights[hand, point]
    return points.new_zeros(points.shape[0]).index_add(0, hand, value)


def fingertip_distance_energy(distance: torch.Tensor) -> torch.Tensor:
    """(B,) summed |signed distance| (B, F) of each contact finger's nearest pad point to the object."""
    return distance.abs().sum(-1)


def palm_distance_energy(distance: torch.Tensor, target: float = 0.01) -> torch.Tensor:
    """(B,) |palm distance - target| for the palm's nearest contact point distance (B,)."""
    return (distance - target).abs()


def direction_energy(hand_normals: torch.Tensor, object_normals: torch.Tensor) -> torch.Tensor:
    """(B,) contact-direction misalignment: sum of 1 + n_hand . n_object (0 when each pad faces the surface)."""
    return (1.0 + (hand_normals * object_normals).sum(-1)).sum(-1)


# ---------------------------------------------------------------------------------------------- combined
class GraspEnergy:
    """All terms for hands around one part of one object in one style: ``energy(pos, rot, q)`` -> dict of (B,)."""

    def __init__(self, hand: HandModel, target: SynthObject, part: str, style: str, config: EnergyConfig,
                 barrier_points: int = 1024):
        self.hand, self.target, self.part, self.style, self.config = hand, target, part, style, config
        labels = hand.contact_point_labels(style)
        self.groups = tuple(dict.fromkeys(labels))  # finger labels in split order, "palm" last
        self.group_of = torch.tensor([self.groups.index(label) for label in labels])
        self.palm = self.groups.index("palm")
        self.fingers = [g for g in range(len(self.groups)) if g != self.palm]
        self.other_points = target.points_of(part, other=True, limit=barrier_points)
        self.other_tree = cKDTree(self.other_points.double().numpy()) if self.other_points.numel() else None
        self.centre = torch.as_tensor(target.centre, dtype=hand.dtype)
        self.forearm = LINK_NAMES.index("rh_forearm")
        self.forearm_planes = forearm_planes(hand, config.forearm_planes) if config.forearm_samples else None
        self.forearm_screen = hull_screen(self.forearm_planes) if self.forearm_planes is not None else None
        self.object_samples = target.samples(config.forearm_samples) if config.forearm_samples else None
        self.weights = config.weights.as_dict()
        if target.part(part).kind == LID and not config.palm_on_lids:
            self.weights["palm"] = 0.0
        self._lp_calls = 0  # optimizer steps seen, for EnergyConfig.fc_lp_every
        self._lp_solution: tuple[torch.Tensor, torch.Tensor] | None = None

    def _reusable_lp(self, batch: int) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The last optimizer step's LP solution while it may stand in for a new solve (fc_lp_every), else None.

        Only steps with gradients (the optimizer's) count and reuse; an evaluation under no_grad always solves.
        """
        if not torch.is_grad_enabled():
            return None
        reuse = (self._lp_solution is not None and self._lp_calls % max(1, self.config.fc_lp_every) != 0
                 and len(self._lp_solution[1]) == batch)
        self._lp_calls += 1
        return self._lp_solution if reuse else None

    def contacts(self, poses: LinkPoses) -> dict[str, torch.Tensor]:
        """Per finger group (B, G): the candidate nearest the object, its distance, both normals; and the
        distance of the palm's centre (the palm target applies there, so the palm faces the part squarely).
        """
        points, hand_normals = self.hand.contact_candidates(poses, self.style)
        distance, object_normals = self.target.sdf(points)
        with torch.no_grad():  # which candidate is a finger's contact: a choice, not a gradient path
            masked = torch.where(self.group_of[None, :, None] == torch.arange(len(self.groups))[None, None],
                                 distance.unsqueeze(-1), torch.full_like(distance.unsqueeze(-1), float("inf")))
            index = masked.argmin(dim=1)  # (B, G)
        take = index.unsqueeze(-1).expand(-1, -1, 3)
        palm_centre = points[:, self.group_of == self.palm].mean(dim=1)  # (B, 3)
        return {
            "palm_distance": self.target.sdf.distance(palm_centre),
            "points": points.gather(1, take),
            "distance": distance.gather(1, index),
            "object_normals": object_normals.gather(1, take),
            "hand_normals": hand_normals.gather(1, take),
            "all_points": points,
        }

    def __call__(self, root_pos: torch.Tensor, root_rot: torch.Tensor, q: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every term (B,) and their weighted sum "total" for hands at (root_pos, root_rot, q), object frame."""
        cfg, hand = self.config, self.hand
        poses = hand.forward_kinematics(q, root_pos, root_rot)
        c = self.contacts(poses)
        fingers = torch.tensor(self.fingers)
        surface, _ = hand.surface_points(poses)
        surface_distance = penetrating_distance(self.target.sdf, surface, cfg.penetration_margin)
        centres, radii = hand.self_collision_spheres(poses)
        # Part alignment: any hand point touching the object must not be near another part either.
        stride = cfg.barrier_surface_stride
        touching = (surface_distance[:, ::stride] < cfg.barrier_touch).to(q.dtype).detach()
        gate = None
        if cfg.fc_reach > cfg.fc_touch:
            gate = ((cfg.fc_reach - c["distance"].detach()) / (cfg.fc_reach - cfg.fc_touch)).clamp(1e-3, 1.0)
        fc = force_closure_energy(c["points"], c["object_normals"], self.centre,
                                  min_force=cfg.fc_min_force, stable=cfg.fc_stable,
                                  torque_length=cfg.torque_length, use_lp=cfg.fc_lp, friction=cfg.fc_friction,
                                  edges=cfg.fc_edges, gate=gate, min_contacts=cfg.fc_min_contacts,
                                  solution=self._reusable_lp(len(q)))
        if torch.is_grad_enabled() and fc.edge_forces is not None:
            self._lp_solution = (fc.edge_forces, fc.residual)
        penetration = penetration_energy(surface_distance, self.target.sdf.distance(centres), radii,
                                         cfg.penetration_margin)
        if self.forearm_planes is not None:  # the object inside the forearm's hull (context.forearm_planes)
            local = (self.object_samples - poses.pos[:, self.forearm, None]) @ poses.rot[:, self.forearm]
            penetration = penetration + hull_penetration_energy(local, self.forearm_planes, cfg.penetration_margin,
                                                                  self.forearm_screen)
        terms = {
            "fc": fc.energy,
            "barrier": barrier_energy(c["all_points"], self.other_points, cfg.barrier_distance, cfg.barrier_floor,
                                      tree=self.other_tree)
            + barrier_energy(surface[:, ::stride], self.other_points, cfg.barrier_surface_distance,
                             cfg.barrier_floor, touching, self.other_tree),
            "fingertip": fingertip_distance_energy(c["distance"][:, fingers]),
            "palm": palm_distance_energy(c["palm_distance"], cfg.palm_target),
            "penetration": penetration,
            "self_penetration": self_penetration_energy(hand.self_penetration(poses)),
            "joint_limits": joint_limit_energy(q, hand.lower, hand.upper),
            "direction": direction_energy(c["hand_normals"], c["object_normals"].detach()),
        }
        terms["total"] = sum(self.weights[name] * value for name, value in terms.items())
        terms["fc_stable"] = fc.stable.to(q.dtype)
        terms["fc_residual"] = fc.residual
        return terms
