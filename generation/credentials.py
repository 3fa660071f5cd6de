"""Content credentials: a signed C2PA manifest inside every MP4 Reelwright makes.

The watermark and the "AI-generated" label survive a re-encode but say nothing verifiable; a C2PA
manifest does the opposite. It is signed, so anyone with a C2PA reader (Adobe's Verify, c2patool, our
own ``verify``) can check that the file is unchanged since we made it, that it is AI-generated
(``digitalSourceType`` trainedAlgorithmicMedia) and which project, version and models made it. Any
change to the video or the manifest breaks the signature; a re-encode or re-mux drops the manifest.
So whatever rewrites a signed file (fitting an upload limit, a preview) signs the result again, with
the original as its ``parentOf`` ingredient: what is posted is always signed.

Signing needs an X.509 certificate that C2PA accepts: not self-signed, ``digitalSignature`` key usage
and an emailProtection or documentSigning extended key usage. A deployment configures one bought from
a CA (``REELWRIGHT_C2PA_CERT_CHAIN`` / ``REELWRIGHT_C2PA_PRIVATE_KEY``); verifiers trust it when its
root is on their trust list. A fresh install makes a development CA and a signer issued by it on
first run, so signing works offline with no setup; only verifiers given that CA's certificate (the
trust anchor, ``c2pa-dev-ca.pem``) call those credentials trusted, everyone else sees "untrusted".
The CA's own key is never written: nothing else can ever be issued under that anchor.

The development identity is one file created whole (written aside, then linked into place), so two
workers starting at once end up sharing one CA instead of each making its own and distrusting the
other's videos. Signed videos are written beside their destination and renamed into place, so a
failed signing never leaves a half-written file where a video should be.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import stat
import struct
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal, get_args

import c2pa
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from reelwright.errors import BadRequest, StorageError

AI_GENERATED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
#: Source types that say a trained model made (some of) the content.
AI_SOURCE_TYPES = frozenset({AI_GENERATED, "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"})
RENDER_ASSERTION = "com.reelwright.render"
MP4 = "video/mp4"
DEV_SIGNER_FILE = "c2pa-dev-signer.pem"
DEV_ANCHOR_FILE = "c2pa-dev-ca.pem"
DEV_ORGANIZATION = "Reelwright (local development, not publicly trusted)"
DEV_CA_YEARS = 20
DEV_SIGNER_YEARS = 10
#: Actions a rewrite of a signed file may record (C2PA standard action names).
DerivedAction = Literal["c2pa.transcoded", "c2pa.resized", "c2pa.trimmed", "c2pa.cropped", "c2pa.converted"]
DERIVED_ACTIONS: frozenset[str] = frozenset(get_args(DerivedAction))
CredentialState = Literal["valid", "untrusted", "invalid", "missing"]
#: The UUID of the top-level ``uuid`` box that holds a C2PA manifest store in an MP4.
C2PA_BOX_UUID = bytes.fromhex("d8fec3d61b0e483c92975828877ec481")
#: Ingredient label that links the parentOf ingredient to the c2pa.opened action.
PARENT_LABEL = "parent"


class CredentialsError(BadRequest):
    """The signing certificate, key or trust anchors are missing, unreadable or do not fit together."""

    chat_message = (
        "Reelwright cannot sign videos right now: its content-credentials certificate is misconfigured (the operator has the details)."
    )


@dataclass(frozen=True)
class SigningIdentity:
    """Who signs: a PEM certificate chain (signer first), its PEM (PKCS#8) key and the C2PA algorithm name.

    ``trust_anchors_pem`` are the roots our own verifier trusts for this identity (the development CA, or
    the configured anchors file); ``None`` means only what c2pa-rs trusts by itself.
    """

    cert_chain_pem: bytes
    private_key_pem: bytes = field(repr=False)
    algorithm: str
    trust_anchors_pem: bytes | None = None
    #: An RFC 3161 time-stamp authority: the signature then stays checkable after the certificate expires.
    tsa_url: str | None = None
    development: bool = False

    @property
    def signer_name(self) -> str:
        names = x509.load_pem_x509_certificate(self.cert_chain_pem).subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return str(names[0].value) if names else "unnamed signer"


@dataclass(frozen=True)
class CredentialClaim:
    """What a version's manifest says about it.

    With a ``parent`` (the previous version's MP4) the claim records an edit of it: the parent becomes the
    ``parentOf`` ingredient, then c2pa.opened and c2pa.edited (with the instruction) are the actions.
    Without one it records c2pa.created. Either way the new content is marked AI-generated.
    """

    title: str
    tool: str
    tool_version: str
    project_id: str
    version: int
    #: (shot number, model name) for each shot.
    models: Sequence[tuple[int, str]] = ()
    parent: Path | None = None
    instruction: str | None = None

    @property
    def edited(self) -> bool:
        return self.parent is not None or self.instruction is not None


@dataclass(frozen=True)
class ManifestAction:
    """One entry of the c2pa.actions assertion."""

    name: str
    description: str | None = None
    digital_source_type: str | None = None


@dataclass(frozen=True)
class CredentialReport:
    """What a file's content credentials say, and whether they hold.

    ``state``: "valid" (intact and signed by a trusted certificate), "untrusted" (intact, but the signer is
    not on our trust list), "invalid" (the video or the manifest changed after signing) or "missing" (no
    manifest: never signed, stripped by a re-encode or re-mux, or not an MP4 at all). ``issues`` are the
    C2PA validation codes behind that, with their explanations.
    """

    state: CredentialState
    issues: tuple[str, ...] = ()
    title: str | None = None
    generator: str | None = None
    project_id: str | None = None
    version: int | None = None
    models: tuple[tuple[int, str], ...] = ()
    actions: tuple[ManifestAction, ...] = ()
    ingredient_titles: tuple[str, ...] = ()
    #: Common name and organization of the signing certificate (c2pa calls the organization "issuer").
    signer: str | None = None
    signer_organization: str | None = None

    @property
    def ai_generated(self) -> bool:
        return any(action.digital_source_type in AI_SOURCE_TYPES for action in self.actions)

    @property
    def instruction(self) -> str | None:
        return next((action.description for action in self.actions if action.name == "c2pa.edited"), None)

    @property
    def summary(self) -> str:
        """One sentence for a person."""
        what = " It says the video is AI-generated." if self.ai_generated else ""
        by = f" Signed by {self.signer}." if self.signer else ""
        if self.state == "valid":
            return f"Content credentials are intact and signed by a trusted certificate.{by}{what}"
        if self.state == "untrusted":
            return f"Content credentials are intact, but the signing certificate is not one we trust.{by}{what}"
        if self.state == "invalid":
            return "Content credentials are present but do not match the file: it was changed after signing."
        return "This file has no content credentials (never signed, or re-encoded since)."


def load_identity(
    cert_chain: Path | None,
    private_key: Path | None,
    dev_folder: Path,
    trust_anchors: Path | None = None,
    tsa_url: str | None = None,
) -> SigningIdentity:
    """The configured signing certificate, else this install's development one (made on first run).

    The identity is tried once with c2pa itself (a tiny image is signed and read back), so a certificate
    c2pa would refuse, or one that does not lead to the configured trust anchors, fails here with the
    reason rather than on every video.
    """
    if (cert_chain is None) != (private_key is None):
        raise CredentialsError(
            "Set both REELWRIGHT_C2PA_CERT_CHAIN and REELWRIGHT_C2PA_PRIVATE_KEY to sign with your own certificate, "
            "or neither to use the local development CA."
        )
    anchors = _read_pem(trust_anchors, "trust anchors file (REELWRIGHT_C2PA_TRUST_ANCHORS)") if trust_anchors else None
    if anchors is not None:
        _parse_certificates(anchors, trust_anchors)
    if cert_chain is None or private_key is None:
        identity = development_identity(dev_folder, tsa_url)
        if anchors is not None:
            identity = replace(identity, trust_anchors_pem=(identity.trust_anchors_pem or b"") + anchors)
    else:
        identity = _configured_identity(cert_chain, private_key, anchors, tsa_url)
    _try_signing(identity, cert_chain or dev_folder / DEV_SIGNER_FILE)
    return identity


def development_identity(dev_folder: Path, tsa_url: str | None = None) -> SigningIdentity:
    """The development CA's signer under ``dev_folder``, made on first run; its CA is the trust anchor.

    ``c2pa-dev-signer.pem`` (private to this user) holds the signer's key and chain; ``c2pa-dev-ca.pem`` is
    the anchor to give other verifiers (c2patool ``--trust_anchors``) so they trust these videos too.
    """
    try:
        bundle = create_once(dev_folder / DEV_SIGNER_FILE, _new_development_bundle)
        certificates = x509.load_pem_x509_certificates(bundle)
        anchor = certificates[-1].public_bytes(serialization.Encoding.PEM)
        create_once(dev_folder / DEV_ANCHOR_FILE, lambda: anchor)
    except OSError as error:
        raise StorageError(f"Cannot create or read the development signing CA in {dev_folder}: {error}") from error
    except ValueError as error:
        raise CredentialsError(
            f"{dev_folder / DEV_SIGNER_FILE} is damaged ({error}); delete it and {DEV_ANCHOR_FILE} to make a new development CA."
        ) from error
    key = serialization.load_pem_private_key(bundle, password=None)
    chain = b"".join(certificate.public_bytes(serialization.Encoding.PEM) for certificate in certificates)
    return SigningIdentity(chain, _pkcs8(key), _algorithm(key, dev_folder / DEV_SIGNER_FILE), anchor, tsa_url, development=True)


def sign_video(source: Path, dest: Path, claim: CredentialClaim, identity: SigningIdentity) -> None:
    """Write ``source`` to ``dest`` with a signed manifest of ``claim`` (``dest`` may be ``source``)."""
    agent = {"name": claim.tool, "version": claim.tool_version}
    actions: list[dict[str, Any]] = []
    if claim.parent is not None:
        actions.append({"action": "c2pa.opened", "parameters": {"ingredientIds": [PARENT_LABEL]}})
    else:
        actions.append({"action": "c2pa.created", "digitalSourceType": AI_GENERATED, "softwareAgent": agent})
    if claim.edited:
        edited: dict[str, Any] = {"action": "c2pa.edited", "digitalSourceType": AI_GENERATED, "softwareAgent": agent}
        if claim.instruction:
            edited["description"] = claim.instruction
        actions.append(edited)
    manifest = {
        "claim_generator_info": [agent],
        "title": claim.title,
        "assertions": [
            {"label": "c2pa.actions.v2", "data": {"actions": actions}},
            {
                "label": RENDER_ASSERTION,
                "data": {
                    "project_id": claim.project_id,
                    "version": claim.version,
                    "models": [{"shot": shot, "model": model} for shot, model in claim.models],
                },
            },
        ],
    }
    _sign(source, dest, manifest, identity, claim.parent)


def sign_derivative(original: Path, derived: Path, dest: Path, action: DerivedAction, identity: SigningIdentity, note: str) -> None:
    """Sign ``derived`` (a rewrite of the signed ``original``) into ``dest``, with ``original`` as its parent.

    The manifest keeps the original's title, generator and render details and records ``action`` (e.g.
    c2pa.transcoded for a re-encode to fit an upload limit) with ``note`` and the AI-generated source type.
    """
    if action not in DERIVED_ACTIONS:
        raise ValueError(f"{action!r} is not one of {sorted(DERIVED_ACTIONS)}")
    original_manifest = _active_manifest(original) or {}
    generators = [
        {key: value for key, value in info.items() if key in ("name", "version")}
        for info in original_manifest.get("claim_generator_info") or []
        if isinstance(info, dict) and isinstance(info.get("name"), str)
    ]
    agent = generators[0] if generators else {"name": "Reelwright"}
    assertions: list[dict[str, Any]] = [
        {
            "label": "c2pa.actions.v2",
            "data": {
                "actions": [
                    {"action": "c2pa.opened", "parameters": {"ingredientIds": [PARENT_LABEL]}},
                    {"action": action, "description": note, "digitalSourceType": AI_GENERATED, "softwareAgent": agent},
                ]
            },
        }
    ]
    assertions += [
        {"label": RENDER_ASSERTION, "data": assertion["data"]}
        for assertion in original_manifest.get("assertions") or []
        if isinstance(assertion, dict) and assertion.get("label") == RENDER_ASSERTION and isinstance(assertion.get("data"), dict)
    ]
    manifest: dict[str, Any] = {"claim_generator_info": [agent], "assertions": assertions}
    if isinstance(original_manifest.get("title"), str):
        manifest["title"] = original_manifest["title"]
    _sign(derived, dest, manifest, identity, original)


def read_credentials(path: Path, trust_anchors_pem: bytes | None = None) -> CredentialReport:
    """Check ``path``'s content credentials against ``trust_anchors_pem``; never raises for a bad file."""
    try:
        with ExitStack() as stack:
            context = stack.enter_context(c2pa.Context.from_dict(_settings(trust_anchors_pem)))
            asset = stack.enter_context(path.open("rb"))
            reader = stack.enter_context(c2pa.Reader(MP4, asset, None, context))
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        if _has_manifest_box(path):
            return CredentialReport("invalid", ("the C2PA manifest box is there but damaged beyond reading",))
        return CredentialReport("missing", ("no C2PA manifest: never signed, or stripped by a re-encode or re-mux",))
    except c2pa.C2paError as error:
        if _has_manifest_box(path):
            return CredentialReport("invalid", (f"the C2PA manifest cannot be read: {error}",))
        return CredentialReport("missing", (f"not a readable MP4: {error}",))
    except (OSError, ValueError) as error:
        return CredentialReport("missing", (f"cannot read the file: {error}",))
    return _report(store)


def _report(store: dict[str, Any]) -> CredentialReport:
    manifests = store.get("manifests") or {}
    manifest = manifests.get(store.get("active_manifest")) or {}
    results = store.get("validation_results") or {}
    failures = (results.get("activeManifest") or {}).get("failure") or store.get("validation_status") or []
    issues = [_issue(failure) for failure in failures]
    titles = []
    for ingredient in _dicts(manifest.get("ingredients")):
        title = str(ingredient.get("title") or "untitled ingredient")
        titles.append(title)
        recorded = ((ingredient.get("validation_results") or {}).get("activeManifest") or {}).get("failure") or []
        issues += [f"ingredient {title}: {_issue(failure)}" for failure in recorded]
    for delta in _dicts(results.get("ingredientDeltas")):
        issues += [f"ingredient: {_issue(failure)}" for failure in (delta.get("validationDeltas") or {}).get("failure") or []]
    render = next((a.get("data") for a in _dicts(manifest.get("assertions")) if a.get("label") == RENDER_ASSERTION), None)
    render = render if isinstance(render, dict) else {}
    version = render.get("version")
    signature = manifest.get("signature_info") or {}
    return CredentialReport(
        state=_state(store.get("validation_state")),
        issues=tuple(issues),
        title=_text(manifest.get("title")),
        generator=_generator(manifest.get("claim_generator_info")),
        project_id=_text(render.get("project_id")),
        version=version if isinstance(version, int) and not isinstance(version, bool) else None,
        models=tuple(
            (entry["shot"], entry["model"])
            for entry in _dicts(render.get("models"))
            if isinstance(entry.get("shot"), int) and isinstance(entry.get("model"), str)
        ),
        actions=tuple(_actions(manifest)),
        ingredient_titles=tuple(titles),
        signer=_text(signature.get("common_name")),
        signer_organization=_text(signature.get("issuer")),
    )


def _actions(manifest: dict[str, Any]) -> Iterator[ManifestAction]:
    for assertion in _dicts(manifest.get("assertions")):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            data = assertion.get("data")
            for action in _dicts(data.get("actions") if isinstance(data, dict) else None):
                yield ManifestAction(str(action.get("action")), _text(action.get("description")), _text(action.get("digitalSourceType")))


def _issue(status: Any) -> str:
    if not isinstance(status, dict):
        return str(status)
    return f"{status.get('code')}: {status.get('explanation') or 'no explanation'}"


def _state(validation_state: Any) -> CredentialState:
    """c2pa's "Trusted" is our valid; its "Valid" (intact, signer unknown) is our untrusted; anything else is invalid."""
    if validation_state == "Trusted":
        return "valid"
    if validation_state == "Valid":
        return "untrusted"
    return "invalid"


def _generator(infos: Any) -> str | None:
    info = next(iter(_dicts(infos)), {})
    return " ".join(str(info[key]) for key in ("name", "version") if info.get(key)) or None


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The dict entries of a list from a manifest (which anyone can write, so trust no shape)."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _settings(trust_anchors_pem: bytes | None) -> dict[str, Any]:
    """c2pa settings for one call: our anchors, and no network (no remote manifests, no OCSP, no thumbnails)."""
    settings: dict[str, Any] = {
        "verify": {"remote_manifest_fetch": False, "ocsp_fetch": False},
        "builder": {"thumbnail": {"enabled": False}},
    }
    if trust_anchors_pem:
        settings["trust"] = {"user_anchors": trust_anchors_pem.decode(errors="replace")}
    return settings


def _sign(source: Path, dest: Path, manifest: dict[str, Any], identity: SigningIdentity, parent: Path | None) -> None:
    """Sign ``source`` into a file beside ``dest``, then rename it into place."""
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        with _partial_beside(dest) as partial:
            with ExitStack() as stack:
                context = stack.enter_context(c2pa.Context.from_dict(_settings(identity.trust_anchors_pem)))
                builder = stack.enter_context(c2pa.Builder(manifest, context))
                if parent is not None:
                    ingredient = {"title": parent.name, "relationship": "parentOf", "label": PARENT_LABEL}
                    builder.add_ingredient(ingredient, MP4, stack.enter_context(parent.open("rb")))
                signer = stack.enter_context(_signer(identity))
                builder.sign(signer, MP4, stack.enter_context(source.open("rb")), stack.enter_context(partial.open("w+b")))
            os.chmod(partial, stat.S_IMODE(source.stat().st_mode))
            os.replace(partial, dest)
    except c2pa.C2paError as error:
        raise CredentialsError(f"Signing {source} with content credentials failed: {error}") from error
    except OSError as error:
        raise StorageError(f"Cannot sign {source} into {dest}: {error}") from error


@contextmanager
def _partial_beside(dest: Path) -> Iterator[Path]:
    handle, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".signing")
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
    finally:
        partial.unlink(missing_ok=True)


def _signer(identity: SigningIdentity) -> Any:
    info = c2pa.C2paSignerInfo(identity.algorithm, identity.cert_chain_pem, identity.private_key_pem, identity.tsa_url)
    return c2pa.Signer.from_info(info)


def _active_manifest(path: Path) -> dict[str, Any] | None:
    """The active manifest of ``path`` as c2pa reads it (valid or not), or None when it has none."""
    try:
        with ExitStack() as stack:
            context = stack.enter_context(c2pa.Context.from_dict(_settings(None)))
            reader = stack.enter_context(c2pa.Reader(MP4, stack.enter_context(path.open("rb")), None, context))
            manifest = reader.get_active_manifest()
    except (c2pa.C2paError, OSError, KeyError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _has_manifest_box(path: Path) -> bool:
    """Whether the MP4 has a top-level C2PA ``uuid`` box: a manifest c2pa cannot read was tampered with."""
    try:
        with path.open("rb") as asset:
            end = os.fstat(asset.fileno()).st_size
            offset = 0
            while offset + 8 <= end:
                asset.seek(offset)
                header = asset.read(32)
                size, kind = struct.unpack(">I4s", header[:8])
                start = 8
                if size == 1 and len(header) >= 16:
                    size, start = struct.unpack(">Q", header[8:16])[0], 16
                elif size == 0:
                    size = end - offset
                if kind == b"uuid" and header[start : start + 16] == C2PA_BOX_UUID:
                    return True
                if size < start:
                    return False
                offset += size
    except OSError:
        return False
    return False


def _configured_identity(cert_chain: Path, private_key: Path, anchors: bytes | None, tsa_url: str | None) -> SigningIdentity:
    chain_pem = _read_pem(cert_chain, "certificate chain (REELWRIGHT_C2PA_CERT_CHAIN)")
    key_pem = _read_pem(private_key, "private key (REELWRIGHT_C2PA_PRIVATE_KEY)")
    certificates = _parse_certificates(chain_pem, cert_chain)
    try:
        key = serialization.load_pem_private_key(key_pem, password=None)
    except TypeError as error:
        raise CredentialsError(
            f"The private key {private_key} is encrypted; give an unencrypted PEM key (keep the file private)."
        ) from error
    except ValueError as error:
        raise CredentialsError(f"{private_key} holds no PEM private key ({error}).") from error
    public = _public_der(key)
    if public != certificates[0].public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo):
        where = next((i for i, c in enumerate(certificates) if _public_der(c) == public), None)
        hint = " (it belongs to a later certificate: put the signing certificate first)" if where else ""
        raise CredentialsError(f"The private key {private_key} does not belong to the first certificate in {cert_chain}{hint}.")
    chain = b"".join(certificate.public_bytes(serialization.Encoding.PEM) for certificate in certificates)
    return SigningIdentity(chain, _pkcs8(key), _algorithm(key, private_key), anchors, tsa_url)


def _read_pem(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise CredentialsError(f"The C2PA {what} {path} cannot be read: {error.strerror or error}.") from error


def _parse_certificates(pem: bytes, path: Path | None) -> list[x509.Certificate]:
    try:
        return x509.load_pem_x509_certificates(pem)
    except ValueError as error:
        raise CredentialsError(f"{path} holds no PEM certificate ({error}).") from error


def _public_der(key_or_certificate: Any) -> bytes:
    public = key_or_certificate.public_key()
    return bytes(public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo))


def _pkcs8(key: Any) -> bytes:
    """c2pa-rs reads only PKCS#8 ("BEGIN PRIVATE KEY"), so traditional EC and RSA keys are converted."""
    return bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def _algorithm(key: Any, path: Path) -> str:
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = {"secp256r1": "es256", "secp384r1": "es384", "secp521r1": "es512"}.get(key.curve.name)
        if algorithm:
            return algorithm
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return "ed25519"
    if isinstance(key, rsa.RSAPrivateKey) and key.key_size >= 2048:
        return "ps256"
    raise CredentialsError(f"The key in {path} cannot sign C2PA manifests: use EC P-256/384/521, Ed25519 or RSA (2048 bits or more).")


def _try_signing(identity: SigningIdentity, origin: Path) -> None:
    """Sign a tiny image and read it back, so c2pa's own checks of the certificate run once, here."""
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, "PNG")
    manifest = {
        "claim_generator_info": [{"name": "Reelwright identity check"}],
        "assertions": [{"label": "c2pa.actions.v2", "data": {"actions": [{"action": "c2pa.created", "digitalSourceType": AI_GENERATED}]}}],
    }
    signed = io.BytesIO()
    try:
        with ExitStack() as stack:
            context = stack.enter_context(c2pa.Context.from_dict(_settings(identity.trust_anchors_pem)))
            builder = stack.enter_context(c2pa.Builder(manifest, context))
            builder.sign(stack.enter_context(_signer(identity)), "image/png", io.BytesIO(image.getvalue()), signed)
            signed.seek(0)
            store = json.loads(stack.enter_context(c2pa.Reader("image/png", signed, None, context)).json())
    except c2pa.C2paError as error:
        via = f" through the time-stamp authority {identity.tsa_url}" if identity.tsa_url else ""
        raise CredentialsError(f"c2pa cannot sign with the certificate in {origin}{via}: {error}") from error
    if identity.trust_anchors_pem and store.get("validation_state") != "Trusted":
        issues = "; ".join(_issue(status) for status in store.get("validation_status") or []) or "no reason given"
        raise CredentialsError(f"The certificate in {origin} does not lead to a configured trust anchor: {issues}.")


def create_once(path: Path, make: Callable[[], bytes]) -> bytes:
    """The file's bytes, writing ``make()`` there first if it does not exist yet (private to this user).

    ``os.link`` fails if another process got there first; its file wins and is what both return.
    """
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    content = make()
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(handle, 0o600)
        os.write(handle, content)
        os.fsync(handle)
        os.close(handle)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
    finally:
        os.unlink(temporary)
    return path.read_bytes()


def _new_development_bundle() -> bytes:
    """A new CA and a signer it issued, as one PEM: the signer's key, its certificate, the CA's certificate."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name("Reelwright development CA")
    ca = (
        _certificate(ca_name, ca_name, ca_key.public_key(), now, DEV_CA_YEARS)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_key_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    signer = (
        _certificate(_name("Reelwright development signer"), ca_name, key.public_key(), now, DEV_SIGNER_YEARS)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(digital_signature=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION, x509.ObjectIdentifier("1.3.6.1.5.5.7.3.36")]),  # documentSigning
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return _pkcs8(key) + signer.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, common_name), x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION)]
    )


def _certificate(subject: x509.Name, issuer: x509.Name, public_key: Any, now: datetime.datetime, years: int) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=365 * years))
    )


def _key_usage(digital_signature: bool = False, key_cert_sign: bool = False, crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=key_cert_sign,
        crl_sign=crl_sign,
        encipher_only=False,
        decipher_only=False,
    )
