"""Benchmark: batched Shadow Hand FK + backward (HandModel) for 1,024 configurations.

    PYTHONPATH=src/dexvlg_core python src/dexvlg_core/benchmarks/hand_fk.py [--batch 1024] [--repeats 30]

Prints median milliseconds and writes them to results/hand_fk.json at the repository root.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from dexvlg_core.hand.model import HandModel

REPO_ROOT = Path(__file__).resolve().parents[3]


@dataclass(frozen=True)
class BenchConfig:
    batch: int = 1024
    repeats: int = 30
    warmup: int = 3
    dtype: str = "float32"
    device: str = "cpu"
    seed: int = 0


def _timings_ms(step, config: BenchConfig) -> tuple[float, float]:
    """(median, min) wall time of step in ms; the min shows the cost when nothing else competes for CPU."""
    for _ in range(config.warmup):
        step()
    times = []
    for _ in range(config.repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return 1e3 * statistics.median(times), 1e3 * min(times)


def run(config: BenchConfig) -> dict:
    dtype = getattr(torch, config.dtype)
    hand = HandModel(device=config.device, dtype=dtype)
    generator = torch.Generator(device=config.device).manual_seed(config.seed)
    q0 = hand.random_q(config.batch, generator)
    root_pos = torch.randn(config.batch, 3, generator=generator, dtype=dtype, device=config.device)
    root_rot = torch.linalg.qr(torch.randn(config.batch, 3, 3, generator=generator, dtype=dtype))[0]

    def fk_forward():
        with torch.no_grad():
            hand.forward_kinematics(q0, root_pos, root_rot)

    def fk_backward():
        # FK of all 25 links, then backward from a scalar of every link pose
        q = q0.clone().requires_grad_(True)
        poses = hand.forward_kinematics(q, root_pos, root_rot)
        (poses.pos.sum() + poses.rot.sum()).backward()

    def surface_backward():
        # what synthesis does each step: FK, move the surface samples, backward
        q = q0.clone().requires_grad_(True)
        points, _ = hand.surface_points(hand.forward_kinematics(q, root_pos, root_rot))
        points.square().sum().backward()

    timings = {
        name: _timings_ms(step, config)
        for name, step in (
            ("fk_forward", fk_forward),
            ("fk_backward", fk_backward),
            ("fk_surface_backward", surface_backward),
        )
    }
    return {
        "batch": config.batch,
        "repeats": config.repeats,
        "dtype": config.dtype,
        "device": config.device,
        "torch_threads": torch.get_num_threads(),
        **{f"{name}_ms": median for name, (median, _) in timings.items()},
        **{f"{name}_min_ms": fastest for name, (_, fastest) in timings.items()},
        "surface_points": int(hand.geometry.surface.points.shape[0]),
        "torch": torch.__version__,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],  # other work on the machine inflates the medians
        "config": asdict(config),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=BenchConfig.batch)
    parser.add_argument("--repeats", type=int, default=BenchConfig.repeats)
    parser.add_argument("--dtype", default=BenchConfig.dtype, choices=("float32", "float64"))
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "hand_fk.json")
    args = parser.parse_args()
    result = run(BenchConfig(batch=args.batch, repeats=args.repeats, dtype=args.dtype))
    print(
        f"HandModel FK, batch {result['batch']} ({result['dtype']}, {result['torch_threads']} threads): "
        f"forward {result['fk_forward_ms']:.2f} ms, forward+backward {result['fk_backward_ms']:.2f} ms, "
        f"with {result['surface_points']} surface points {result['fk_surface_backward_ms']:.2f} ms (medians)"
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
