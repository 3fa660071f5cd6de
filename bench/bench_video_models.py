"""Benchmark of the diffusers path, measured side by side in one run, with random weights (no download).

For one model family at a chosen scale it prints:
- per-step time and peak memory of the bare diffusers call (``DiffusionPipeline.from_pretrained`` + call);
- Reelwright's time for the same model, size, frames and steps (``DiffusersBackend.render``: prompt,
  image, progress callback, frame conversion) as a ratio against the bare call (target <= 1.05x);
- the speed-up of each speed/memory setting against plain bf16 (on a CPU: the step cache only; the
  memory policies need a GPU).

Scales: ``tiny`` (the test suite's components: seconds anywhere) and ``real`` (Wan 2.1 1.3B's transformer
and VAE at their published sizes, a one-layer 4096-wide text encoder; minutes on a CPU, use a GPU).
Run: ``.venv/bin/python bench/bench_video_models.py [--scale tiny|real] [--frames 9] [--size 64x48] [--steps 4]``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from tiny_diffusers import BUILDERS, flow_scheduler, t5_tokenizer  # the suite's builders, reused

from reelwright.generation.backends import ClipRequest
from reelwright.generation.diffusers_backend import WARM, DiffusersBackend


def real_wan(folder: Path) -> Path:
    """Wan 2.1 T2V 1.3B's transformer and VAE at their published configuration, randomly initialised."""
    from diffusers import AutoencoderKLWan, WanPipeline, WanTransformer3DModel
    from transformers import UMT5Config, UMT5EncoderModel

    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        num_attention_heads=12, attention_head_dim=128, in_channels=16, out_channels=16, text_dim=4096, ffn_dim=8960, num_layers=30
    )
    encoder = UMT5EncoderModel(UMT5Config(vocab_size=128, d_model=4096, d_kv=64, d_ff=256, num_layers=1, num_heads=8))
    pipe = WanPipeline(
        tokenizer=t5_tokenizer(folder / "_tokenizer"),
        text_encoder=encoder.eval(),
        transformer=transformer.eval(),
        vae=AutoencoderKLWan().eval(),
        scheduler=flow_scheduler(),
    )
    pipe.save_pretrained(folder)
    return folder


def median_time(work: Callable[[], object], repeats: int) -> float:
    work()  # warm: loading and first-call costs are not what is compared
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def time_bare_call(
    folder: Path, device: str, dtype: torch.dtype, width: int, height: int, frames: int, steps: int, repeats: int
) -> tuple[float, float]:
    """The plain diffusers way: load the folder, call the pipeline; its median time and the peak memory."""
    from diffusers import DiffusionPipeline

    pipe = DiffusionPipeline.from_pretrained(folder, dtype=dtype).to(device)
    pipe.set_progress_bar_config(disable=True)

    def call() -> object:
        return pipe(
            prompt="a red fox running through snow, slow camera pan to the left, cinematic",
            negative_prompt="blurry",
            height=height,
            width=width,
            num_frames=frames,
            num_inference_steps=steps,
            guidance_scale=5.0,
            generator=torch.Generator().manual_seed(7),
            output_type="np",
        )

    return median_time(call, repeats), peak_memory_mb(device)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=("tiny", "real"), default="tiny")
    parser.add_argument("--frames", type=int, default=9)
    parser.add_argument("--size", default="64x48")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    width, height = (int(side) for side in args.size.split("x"))
    device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cpu":
        torch.set_num_threads(1)
    dtype = torch.bfloat16 if device == "cuda" else torch.float32

    with tempfile.TemporaryDirectory() as scratch:
        folder = (real_wan if args.scale == "real" else BUILDERS["wan-t2v"])(Path(scratch) / "model")
        bare_s, bare_peak = time_bare_call(folder, device, dtype, width, height, args.frames, args.steps, args.repeats)
        print(f"{args.scale} Wan T2V on {device}: {args.frames} frames {width}x{height}, {args.steps} steps")
        print(f"  bare diffusers call: {bare_s:.3f} s ({bare_s / args.steps * 1000:.1f} ms per step), peak {bare_peak:.0f} MB")

        request = ClipRequest(
            prompt="a red fox running through snow",
            negative_prompt="blurry",
            width=width,
            height=height,
            fps=16,
            num_frames=args.frames,
            camera="pan_left",
            seed=7,
            style="cinematic",
        )
        results: dict[str, float] = {}
        for setting, options in (("plain", {}), ("first-block cache", {"step_cache": "first-block"})):
            model = DiffusersBackend(DiffusersBackend.Options(model=str(folder), steps=args.steps, guidance=5.0, **options))  # type: ignore[arg-type]
            results[setting] = median_time(lambda model=model: list(model.render(request, lambda fraction: None)), args.repeats)
            WARM.drop(model.pipeline_key(model.device(), model.memory_policy(model.device())))
        print(f"  Reelwright / bare diffusers: {results['plain'] / bare_s:.3f}x (target <= 1.05x)")
        for setting, seconds in results.items():
            if setting != "plain":
                print(f"  {setting}: {results['plain'] / seconds:.2f}x faster than plain")
        if device == "cpu":
            print("  memory policies (model/group offload, fp8) need a GPU: run this on one to compare them")


if __name__ == "__main__":
    main()
