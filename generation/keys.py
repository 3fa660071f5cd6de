"""Where the keys that mark and sign every video come from.

A deployment configures them (every worker needs the same watermark key and signing certificate); a
fresh install makes its own on first run under the data folder (``Settings.keys_dir``), so no two
installs share a key anyone could read in the source.
"""

from __future__ import annotations

import secrets

from reelwright.generation.credentials import SigningIdentity, create_once, load_identity
from reelwright.settings import Settings


def watermark_key(settings: Settings) -> str:
    """The configured watermark key, else this install's own (made once, then reused)."""
    if settings.watermark_key is not None:
        return settings.watermark_key.get_secret_value()
    return create_once(settings.keys_dir / "watermark.key", lambda: secrets.token_hex(32).encode()).decode().strip()


def signing_identity(settings: Settings) -> SigningIdentity:
    """The configured C2PA signing certificate, else this install's development CA (made once).

    Its trust anchors (the development CA and any configured roots) are what ``verify`` trusts."""
    return load_identity(
        settings.c2pa_cert_chain, settings.c2pa_private_key, settings.keys_dir, settings.c2pa_trust_anchors, settings.c2pa_tsa_url
    )
