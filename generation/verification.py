"""Reading a video's three marks — the visible label, the invisible watermark, the signed content
credentials — and saying plainly what they add up to.

Each mark fails differently: a re-encode strips the credentials but keeps the watermark and label; a
crop can cut the label away; editing the file's bytes breaks the credentials' signature. So a file is
judged on all three together: intact, stripped, tampered, or not from Reelwright at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import numpy as np

from reelwright.generation.credentials import CredentialReport, read_credentials
from reelwright.generation.label_check import LabelCheck, LabelScanner
from reelwright.generation.video_io import container_metadata, sample_frames
from reelwright.generation.watermark import Detection, Watermarker


class Verdict(StrEnum):
    INTACT = "intact"  # every mark present, credentials valid and matching the watermark
    STRIPPED = "stripped"  # the watermark says Reelwright made it, the credentials are gone (re-encoded, or removed)
    TAMPERED = "tampered"  # the credentials do not match the file, or the marks disagree with each other
    UNTRUSTED = "untrusted"  # intact credentials from a signer we do not trust
    PARTIAL = "partial"  # ours, but a mark is missing that an untouched file would have
    NOT_OURS = "not_ours"  # no mark of ours at all


@dataclass(frozen=True)
class Marks:
    label: LabelCheck
    watermark: Detection
    credentials: CredentialReport
    metadata: dict[str, str]

    @property
    def project(self) -> tuple[str, int] | None:
        """Which project and version made it: the watermark's (checked against our key), else intact credentials'."""
        if self.watermark.mark is not None:
            return self.watermark.mark.project_id, self.watermark.mark.version
        if self.credentials.state in ("valid", "untrusted") and self.credentials.project_id and self.credentials.version:
            return self.credentials.project_id, self.credentials.version
        return None

    @property
    def ours(self) -> bool:
        return self.watermark.found or self.credentials.project_id is not None

    def findings(self) -> tuple[Verdict, list[str]]:
        """The verdict, and one sentence per thing a person should know."""
        credentials, watermark = self.credentials, self.watermark
        notes: list[str] = []
        if not self.ours:
            notes.append("No Reelwright watermark and no Reelwright content credentials: this file was not made by Reelwright.")
            if self.label.found:
                notes.append("It shows an “AI-generated” label like ours, but nothing else of ours.")
            if credentials.state != "missing":
                notes.append(credentials.summary)
            return Verdict.NOT_OURS, notes
        verdict = Verdict.INTACT
        if credentials.state == "invalid":
            verdict = Verdict.TAMPERED
            notes.append("Its content credentials do not match the file: it was changed after Reelwright signed it.")
        elif credentials.state == "missing":
            verdict = Verdict.STRIPPED
            notes.append(
                "Its content credentials are gone (re-encoded, or removed); the invisible watermark still says where it came from."
            )
        elif credentials.state == "untrusted":
            verdict = Verdict.UNTRUSTED
            notes.append("Its content credentials are intact but signed by a certificate this Reelwright does not trust.")
        mark = watermark.mark
        if (
            mark is not None
            and credentials.state in ("valid", "untrusted")
            and (credentials.project_id, credentials.version)
            != (
                mark.project_id,
                mark.version,
            )
        ):
            verdict = Verdict.TAMPERED
            notes.append("The watermark and the content credentials name different videos: one of them was copied from another file.")
        if not watermark.found:
            notes.append("The invisible watermark was not found (a heavy re-encode or crop can remove it).")
            verdict = verdict if verdict != Verdict.INTACT else Verdict.PARTIAL
        if not self.label.found:
            notes.append("The visible “AI-generated” label is not in the picture (cropped or covered).")
            verdict = verdict if verdict != Verdict.INTACT else Verdict.PARTIAL
        return verdict, notes


def read_marks(path: Path, watermarker: Watermarker, trust_anchors_pem: bytes | None, frames: int, max_width: int) -> Marks:
    """All three marks of a file; frames are decoded once (at most ``max_width`` wide) for both the label and the watermark."""
    label = LabelScanner()

    def sampled() -> Iterator[np.ndarray]:
        for frame in sample_frames(path, frames, max_width):
            label.add(frame)
            yield frame

    watermark = watermarker.detect(sampled())
    return Marks(label.result(), watermark, read_credentials(path, trust_anchors_pem), container_metadata(path))
