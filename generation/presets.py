"""The video models Reelwright knows by name: where their weights live, their rules, what they need.

A preset is a published diffusers checkpoint with what Reelwright must know to use it well: the
pipeline class, the size, frame rate and frame-count rule it was trained for, the dtype to run it
in, roughly how much GPU memory it needs under each memory policy, and its licence. Anything else
(another hub id, a local folder saved with ``save_pretrained``) also loads; its rules then come
from its pipeline class (``FAMILY_RULES``).

Memory figures are peak GPU memory in GB at the preset's native size and length, from the models'
published tables where they exist (marked ``published``) and otherwise estimated from the weights'
size (``estimate``); the automatic memory policy only needs them to be roughly right.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from reelwright.generation.capabilities import Capabilities, FrameRule

#: Memory policies, weakest (fastest) first; an out-of-memory retry moves one step right.
MEMORY_POLICIES = ("none", "model-offload", "group-offload")

WAN = FrameRule(multiple=4, remainder=1, minimum=5, maximum=81)
LTX = FrameRule(multiple=8, remainder=1, minimum=9, maximum=161)
COGVIDEOX = FrameRule(fixed=(49,))

#: The rules of each pipeline family, for a model known only by its folder or hub id.
FAMILY_RULES: dict[str, Capabilities] = {
    "WanPipeline": Capabilities(size_multiple=16, area=832 * 480, frames=WAN, fps=16),
    "WanImageToVideoPipeline": Capabilities(size_multiple=16, area=832 * 480, frames=WAN, fps=16, takes_image=True, needs_image=True),
    "LTXPipeline": Capabilities(size_multiple=32, area=704 * 480, frames=LTX, fps=24),
    "LTXImageToVideoPipeline": Capabilities(size_multiple=32, area=704 * 480, frames=LTX, fps=24, takes_image=True, needs_image=True),
    # CogVideoX 2B/5B were trained at 720x480 only; other shapes are cropped from it.
    "CogVideoXPipeline": Capabilities(size_multiple=16, sizes=((720, 480),), frames=COGVIDEOX, fps=8),
    "CogVideoXImageToVideoPipeline": Capabilities(
        size_multiple=16, sizes=((720, 480),), frames=COGVIDEOX, fps=8, takes_image=True, needs_image=True
    ),
    "StableVideoDiffusionPipeline": Capabilities(
        size_multiple=64, area=1024 * 576, frames=FrameRule(fixed=(14, 25)), fps=7, takes_image=True, needs_image=True
    ),
}


@dataclass(frozen=True)
class Preset:
    id: str
    title: str
    hub_id: str
    pipeline: str
    capabilities: Capabilities
    licence: str
    memory_gb: dict[str, float]
    memory_source: str = "estimate"
    revision: str = "main"
    dtype: str = "bfloat16"
    steps: int = 50
    guidance: float = 5.0

    @property
    def role(self) -> str:
        return "image-to-video" if self.capabilities.needs_image else "text-to-video"


def _rules(pipeline: str, **changes: object) -> Capabilities:
    return replace(FAMILY_RULES[pipeline], **changes)  # type: ignore[arg-type]  # the fields are Capabilities' own


PRESETS: dict[str, Preset] = {
    preset.id: preset
    for preset in (
        Preset(
            "wan2.1-t2v-1.3b",
            "Wan 2.1 text-to-video 1.3B (480p)",
            "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
            "WanPipeline",
            FAMILY_RULES["WanPipeline"],
            "Apache-2.0",
            {"none": 17.0, "model-offload": 9.0, "group-offload": 8.2},
            "published (8.2 GB with offload, RTX 4090)",
            steps=50,
            guidance=5.0,
        ),
        Preset(
            "wan2.1-t2v-14b",
            "Wan 2.1 text-to-video 14B (720p)",
            "Wan-AI/Wan2.1-T2V-14B-Diffusers",
            "WanPipeline",
            _rules("WanPipeline", area=1280 * 720),
            "Apache-2.0",
            {"none": 69.0, "model-offload": 40.0, "group-offload": 14.0},
            "published (69 GB, H100)",
        ),
        Preset(
            "wan2.2-t2v-a14b",
            "Wan 2.2 text-to-video A14B, two experts (720p)",
            "Wan-AI/Wan2.2-T2V-A14B-Diffusers",
            "WanPipeline",
            _rules("WanPipeline", area=1280 * 720),
            "Apache-2.0",
            {"none": 60.0, "model-offload": 41.0, "group-offload": 16.0},
            "published (41 GB at 480p, 60 GB at 720p, H100)",
            steps=40,
            guidance=4.0,
        ),
        Preset(
            "wan2.2-ti2v-5b",
            "Wan 2.2 text/image-to-video 5B (720p, 24 fps)",
            "Wan-AI/Wan2.2-TI2V-5B-Diffusers",
            "WanPipeline",
            _rules("WanPipeline", size_multiple=32, area=1280 * 704, fps=24, frames=FrameRule(4, 1, 5, 121)),
            "Apache-2.0",
            {"none": 22.9, "model-offload": 14.0, "group-offload": 8.0},
            "published (22.9 GB, RTX 4090)",
        ),
        Preset(
            "wan2.1-i2v-14b-480p",
            "Wan 2.1 image-to-video 14B (480p)",
            "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
            "WanImageToVideoPipeline",
            FAMILY_RULES["WanImageToVideoPipeline"],
            "Apache-2.0",
            {"none": 66.0, "model-offload": 38.0, "group-offload": 14.0},
        ),
        Preset(
            "wan2.2-i2v-a14b",
            "Wan 2.2 image-to-video A14B, two experts (720p)",
            "Wan-AI/Wan2.2-I2V-A14B-Diffusers",
            "WanImageToVideoPipeline",
            _rules("WanImageToVideoPipeline", area=1280 * 720),
            "Apache-2.0",
            {"none": 62.0, "model-offload": 42.0, "group-offload": 16.0},
            steps=40,
            guidance=3.5,
        ),
        Preset(
            "ltx-video",
            "LTX-Video 2B (704x480, 24 fps)",
            "Lightricks/LTX-Video",
            "LTXPipeline",
            FAMILY_RULES["LTXPipeline"],
            "LTX-Video OpenRAIL-M",
            {"none": 7.2, "model-offload": 5.0, "group-offload": 3.5},
            "published (7.2 GB, RTX 4090)",
            steps=50,
            guidance=3.0,
        ),
        Preset(
            "ltx-video-i2v",
            "LTX-Video 2B image-to-video",
            "Lightricks/LTX-Video",
            "LTXImageToVideoPipeline",
            FAMILY_RULES["LTXImageToVideoPipeline"],
            "LTX-Video OpenRAIL-M",
            {"none": 7.5, "model-offload": 5.2, "group-offload": 3.6},
            steps=50,
            guidance=3.0,
        ),
        Preset(
            "cogvideox-2b",
            "CogVideoX 2B (720x480, 49 frames at 8 fps)",
            "THUDM/CogVideoX-2b",
            "CogVideoXPipeline",
            FAMILY_RULES["CogVideoXPipeline"],
            "Apache-2.0",
            {"none": 18.0, "model-offload": 10.0, "group-offload": 4.0},
            "published (from 4 GB with offload)",
            dtype="float16",
            guidance=6.0,
        ),
        Preset(
            "cogvideox-5b",
            "CogVideoX 5B (720x480, 49 frames at 8 fps)",
            "THUDM/CogVideoX-5b",
            "CogVideoXPipeline",
            FAMILY_RULES["CogVideoXPipeline"],
            "CogVideoX License",
            {"none": 26.0, "model-offload": 15.0, "group-offload": 5.0},
            "published (from 5 GB with offload)",
            guidance=6.0,
        ),
        Preset(
            "cogvideox-5b-i2v",
            "CogVideoX 5B image-to-video",
            "THUDM/CogVideoX-5b-I2V",
            "CogVideoXImageToVideoPipeline",
            FAMILY_RULES["CogVideoXImageToVideoPipeline"],
            "CogVideoX License",
            {"none": 26.0, "model-offload": 15.0, "group-offload": 5.0},
            guidance=6.0,
        ),
        Preset(
            "svd",
            "Stable Video Diffusion (14 frames, 1024x576)",
            "stabilityai/stable-video-diffusion-img2vid",
            "StableVideoDiffusionPipeline",
            _rules("StableVideoDiffusionPipeline", frames=FrameRule(fixed=(14,))),
            "Stable Video Diffusion Community License",
            {"none": 14.0, "model-offload": 9.0, "group-offload": 6.0},
            dtype="float16",
            steps=25,
            guidance=3.0,
        ),
        Preset(
            "svd-xt",
            "Stable Video Diffusion XT (25 frames, 1024x576)",
            "stabilityai/stable-video-diffusion-img2vid-xt",
            "StableVideoDiffusionPipeline",
            _rules("StableVideoDiffusionPipeline", frames=FrameRule(fixed=(25,))),
            "Stable Video Diffusion Community License",
            {"none": 18.0, "model-offload": 11.0, "group-offload": 7.0},
            dtype="float16",
            steps=25,
            guidance=3.0,
        ),
    )
}
