"""Every MP4 carries signed content credentials (C2PA): what they say, and what a reader concludes from them."""

import datetime
import shutil
import stat
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from reelwright.errors import ReelwrightError
from reelwright.generation.credentials import (
    AI_GENERATED,
    DEV_ANCHOR_FILE,
    DEV_SIGNER_FILE,
    CredentialClaim,
    CredentialsError,
    SigningIdentity,
    load_identity,
    read_credentials,
    sign_derivative,
    sign_video,
)

CLAIM = CredentialClaim(
    title="A fox in the snow",
    tool="Reelwright",
    tool_version="0.1.0",
    project_id="proj-7f3a",
    version=1,
    models=[(1, "animatic"), (2, "wan2.1-1.3b")],
)


def write_clip(path: Path, size: int = 64, frames: int = 12, crf: int = 20) -> Path:
    """A real H.264 + AAC MP4 with its index first (+faststart), as compose writes them."""
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as container:
        video = container.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = size, size, "yuv420p"
        video.options = {"crf": str(crf), "preset": "veryfast"}
        audio = container.add_stream("aac", rate=44100)
        audio.layout = "mono"
        for index in range(frames):
            picture = np.full((size, size, 3), (index * 20, 90, 255 - index * 20), np.uint8)
            container.mux(video.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        tone = np.sin(np.arange(22050, dtype=np.float32) * 0.05)[None, :] * 0.2
        sound = av.AudioFrame.from_ndarray(tone.astype(np.float32), format="fltp", layout="mono")
        sound.sample_rate, sound.pts, sound.time_base = 44100, 0, Fraction(1, 44100)
        container.mux(audio.encode(sound))
        container.mux(video.encode())
        container.mux(audio.encode())
    return path


def remux(source: Path, target: Path) -> Path:
    """Copy the streams into a new MP4 without re-encoding, as ``ffmpeg -c copy`` does."""
    with av.open(str(source)) as reading, av.open(str(target), "w", format="mp4") as writing:
        streams = {stream.index: writing.add_stream_from_template(stream) for stream in reading.streams}
        for packet in reading.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                writing.mux(packet)
    return target


def reencode_smaller(source: Path, target: Path) -> Path:
    """Decode and encode at half size and lower quality, as fitting an upload limit does."""
    with av.open(str(source)) as reading:
        frames = [frame.to_ndarray(format="rgb24")[::2, ::2] for frame in reading.decode(video=0)]
    with av.open(str(target), "w", format="mp4") as writing:
        video = writing.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = frames[0].shape[1], frames[0].shape[0], "yuv420p"
        video.options = {"crf": "35", "preset": "veryfast"}
        for picture in frames:
            writing.mux(video.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(picture, dtype=np.uint8), format="rgb24")))
        writing.mux(video.encode())
    return target


def flip_byte(path: Path, marker: bytes, offset: int = 0) -> Path:
    data = bytearray(path.read_bytes())
    position = data.index(marker) + offset
    data[position] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def decoded_frames(path: Path) -> int:
    with av.open(str(path)) as container:
        return sum(1 for _ in container.decode(video=0))


def top_level_boxes(path: Path) -> list[bytes]:
    data, boxes, offset = path.read_bytes(), [], 0
    while offset + 8 <= len(data):
        boxes.append(data[offset + 4 : offset + 8])
        offset += int.from_bytes(data[offset : offset + 4], "big")
    return boxes


def issue_certificate(
    subject: str, issuer_key: ec.EllipticCurvePrivateKey | None = None, issuer: x509.Certificate | None = None
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A CA (no issuer) or an end-entity certificate of the kind C2PA accepts, as a commercial CA would issue them."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject), x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example Studio")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=30))
    )
    usage = dict.fromkeys(
        ("content_commitment", "key_encipherment", "data_encipherment", "key_agreement", "encipher_only", "decipher_only"), False
    )
    if issuer is None or issuer_key is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True).add_extension(
            x509.KeyUsage(digital_signature=False, key_cert_sign=True, crl_sign=True, **usage), critical=True
        )
        return key, builder.sign(key, hashes.SHA256())
    builder = (
        builder.add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=False, crl_sign=False, **usage), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), critical=False)
    )
    return key, builder.sign(issuer_key, hashes.SHA256())


def pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def write_bought_certificate(folder: Path) -> tuple[Path, Path, Path]:
    """A signing certificate chain, its key (traditional EC PEM, as openssl writes it) and the CA's root."""
    folder.mkdir(parents=True, exist_ok=True)
    root_key, root = issue_certificate("Example Root CA")
    key, certificate = issue_certificate("Example Studio signer", root_key, root)
    chain, private_key, anchors = folder / "chain.pem", folder / "key.pem", folder / "anchors.pem"
    chain.write_bytes(pem(certificate))
    private_key.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    )
    anchors.write_bytes(pem(root))
    return chain, private_key, anchors


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> SigningIdentity:
    return load_identity(None, None, tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("clip") / "clip.mp4")


@pytest.fixture(scope="module")
def signed(clip: Path, identity: SigningIdentity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("signed") / "v1.mp4"
    sign_video(clip, dest, CLAIM, identity)
    return dest


@pytest.fixture
def copy_of_signed(signed: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(signed, tmp_path / "copy.mp4"))


def test_the_development_ca_is_made_on_first_run_and_reused(tmp_path: Path) -> None:
    first = load_identity(None, None, tmp_path / "keys")
    again = load_identity(None, None, tmp_path / "keys")

    assert again == first and first.development and first.algorithm == "es256"
    signer_file, anchor_file = tmp_path / "keys" / DEV_SIGNER_FILE, tmp_path / "keys" / DEV_ANCHOR_FILE
    assert stat.S_IMODE(signer_file.stat().st_mode) == 0o600
    assert anchor_file.read_bytes() == first.trust_anchors_pem
    signer, ca = x509.load_pem_x509_certificates(first.cert_chain_pem)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert ca.extensions.get_extension_for_class(x509.KeyUsage).value.key_cert_sign
    assert signer.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in signer.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    signer.verify_directly_issued_by(ca)


def test_workers_starting_at_once_share_one_development_ca(tmp_path: Path) -> None:
    start, found = threading.Barrier(6), []

    def start_worker() -> None:
        start.wait()
        found.append(load_identity(None, None, tmp_path / "keys"))

    workers = [threading.Thread(target=start_worker) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert len(found) == 6 and len({identity.trust_anchors_pem for identity in found}) == 1
    assert sorted(path.name for path in (tmp_path / "keys").iterdir()) == sorted([DEV_ANCHOR_FILE, DEV_SIGNER_FILE])


def test_a_signed_video_is_valid_with_our_anchor_and_untrusted_without_it(signed: Path, identity: SigningIdentity) -> None:
    trusted = read_credentials(signed, identity.trust_anchors_pem)
    stranger = read_credentials(signed, None)

    assert trusted.state == "valid" and trusted.issues == ()
    assert stranger.state == "untrusted" and any("signingCredential.untrusted" in issue for issue in stranger.issues)


def test_the_credentials_say_an_ai_made_it_and_for_which_project(signed: Path, identity: SigningIdentity) -> None:
    report = read_credentials(signed, identity.trust_anchors_pem)

    assert report.ai_generated and report.actions[0].name == "c2pa.created" and report.actions[0].digital_source_type == AI_GENERATED
    assert (report.title, report.project_id, report.version) == ("A fox in the snow", "proj-7f3a", 1)
    assert report.models == ((1, "animatic"), (2, "wan2.1-1.3b"))
    assert report.generator == "Reelwright 0.1.0" and report.signer == "Reelwright development signer"
    assert report.ingredient_titles == () and report.instruction is None


def test_an_edit_signed_in_place_records_its_instruction_and_parent(
    clip: Path, signed: Path, identity: SigningIdentity, tmp_path: Path
) -> None:
    version_2 = Path(shutil.copy(clip, tmp_path / "v2.mp4"))
    edit = CredentialClaim(
        title="A fox in the snow",
        tool="Reelwright",
        tool_version="0.1.0",
        project_id="proj-7f3a",
        version=2,
        models=[(1, "animatic"), (2, "animatic")],
        parent=signed,
        instruction="make shot 2 darker",
    )

    sign_video(version_2, version_2, edit, identity)
    report = read_credentials(version_2, identity.trust_anchors_pem)

    assert report.state == "valid" and report.version == 2 and report.ai_generated
    assert [action.name for action in report.actions] == ["c2pa.opened", "c2pa.edited"]
    assert report.instruction == "make shot 2 darker"
    assert report.ingredient_titles == ("v1.mp4",)
    assert [path.name for path in tmp_path.iterdir()] == ["v2.mp4"]


def test_players_still_read_a_signed_video_and_its_index_stays_first(clip: Path, signed: Path) -> None:
    assert decoded_frames(signed) == decoded_frames(clip) == 12
    with av.open(str(signed)) as container:
        assert [stream.type for stream in container.streams] == ["video", "audio"]
    boxes = top_level_boxes(signed)
    assert b"uuid" in boxes and boxes.index(b"moov") < boxes.index(b"mdat")


def test_changing_a_byte_of_the_video_after_signing_makes_it_invalid(copy_of_signed: Path, identity: SigningIdentity) -> None:
    flip_byte(copy_of_signed, b"mdat", offset=100)

    report = read_credentials(copy_of_signed, identity.trust_anchors_pem)

    assert report.state == "invalid" and any("assertion.bmffHash.mismatch" in issue for issue in report.issues)


@pytest.mark.parametrize(
    ("marker", "code"),
    [(b"proj-7f3a", "assertion.hashedURI.mismatch"), (b"A fox in the snow", "claimSignature.mismatch")],
    ids=["an assertion", "the signed claim"],
)
def test_changing_the_manifest_after_signing_makes_it_invalid(
    copy_of_signed: Path, identity: SigningIdentity, marker: bytes, code: str
) -> None:
    flip_byte(copy_of_signed, marker, offset=3)

    report = read_credentials(copy_of_signed, identity.trust_anchors_pem)

    assert report.state == "invalid" and any(code in issue for issue in report.issues)


def test_a_manifest_damaged_beyond_reading_is_invalid_not_missing(copy_of_signed: Path, identity: SigningIdentity) -> None:
    flip_byte(copy_of_signed, b"jumb", offset=0)

    assert read_credentials(copy_of_signed, identity.trust_anchors_pem).state == "invalid"


def test_a_remuxed_copy_has_no_credentials(signed: Path, identity: SigningIdentity, tmp_path: Path) -> None:
    stripped = remux(signed, tmp_path / "stripped.mp4")

    report = read_credentials(stripped, identity.trust_anchors_pem)

    assert decoded_frames(stripped) == 12
    assert report.state == "missing" and not report.ai_generated and report.issues


def test_a_smaller_reencode_is_signed_with_the_original_as_its_parent(signed: Path, identity: SigningIdentity, tmp_path: Path) -> None:
    smaller = reencode_smaller(signed, tmp_path / "smaller.mp4")
    assert read_credentials(smaller, identity.trust_anchors_pem).state == "missing"

    sign_derivative(signed, smaller, tmp_path / "posted.mp4", "c2pa.transcoded", identity, "re-encoded to fit the 10 MB upload limit")
    report = read_credentials(tmp_path / "posted.mp4", identity.trust_anchors_pem)

    assert report.state == "valid" and report.ingredient_titles == ("v1.mp4",)
    assert [action.name for action in report.actions] == ["c2pa.opened", "c2pa.transcoded"]
    assert report.actions[1].description == "re-encoded to fit the 10 MB upload limit" and report.ai_generated
    assert (report.title, report.project_id, report.version, report.models) == ("A fox in the snow", "proj-7f3a", 1, tuple(CLAIM.models))


@pytest.mark.parametrize(
    "content", [b"", b"garbage " * 100, b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00"], ids=["empty", "garbage", "truncated MP4"]
)
def test_a_file_that_is_not_a_video_reads_as_missing_without_an_error(content: bytes, identity: SigningIdentity, tmp_path: Path) -> None:
    path = tmp_path / "upload.mp4"
    path.write_bytes(content)

    report = read_credentials(path, identity.trust_anchors_pem)

    assert report.state == "missing" and report.issues


def test_a_path_that_cannot_be_read_reads_as_missing(tmp_path: Path) -> None:
    assert read_credentials(tmp_path / "gone.mp4").state == "missing"
    assert read_credentials(tmp_path).state == "missing"


def test_a_configured_certificate_signs_and_is_trusted_through_its_anchors(clip: Path, tmp_path: Path) -> None:
    chain, key, anchors = write_bought_certificate(tmp_path / "bought")

    identity = load_identity(chain, key, tmp_path / "keys", trust_anchors=anchors)
    sign_video(clip, tmp_path / "v1.mp4", CLAIM, identity)
    report = read_credentials(tmp_path / "v1.mp4", identity.trust_anchors_pem)

    assert not identity.development and identity.algorithm == "es256" and identity.trust_anchors_pem == anchors.read_bytes()
    assert "PRIVATE KEY" not in repr(identity)
    assert report.state == "valid" and report.signer == "Example Studio signer"
    assert not (tmp_path / "keys").exists()


def test_a_missing_key_file_is_a_clear_error(tmp_path: Path) -> None:
    chain, _, _ = write_bought_certificate(tmp_path / "bought")

    with pytest.raises(CredentialsError, match=r"private key \(REELWRIGHT_C2PA_PRIVATE_KEY\) .*missing\.pem cannot be read") as raised:
        load_identity(chain, tmp_path / "missing.pem", tmp_path / "keys")
    assert isinstance(raised.value, ReelwrightError) and "operator" in raised.value.for_chat()


def test_a_key_of_another_certificate_is_refused(tmp_path: Path) -> None:
    chain, _, _ = write_bought_certificate(tmp_path / "one")
    _, other_key, _ = write_bought_certificate(tmp_path / "other")

    with pytest.raises(CredentialsError, match="does not belong to the first certificate"):
        load_identity(chain, other_key, tmp_path / "keys")


def test_a_certificate_outside_the_configured_anchors_is_refused(tmp_path: Path) -> None:
    chain, key, _ = write_bought_certificate(tmp_path / "one")
    _, _, unrelated_root = write_bought_certificate(tmp_path / "other")

    with pytest.raises(CredentialsError, match="does not lead to a configured trust anchor"):
        load_identity(chain, key, tmp_path / "keys", trust_anchors=unrelated_root)


def test_half_a_configuration_is_refused(tmp_path: Path) -> None:
    chain, _, _ = write_bought_certificate(tmp_path / "bought")

    with pytest.raises(CredentialsError, match="Set both"):
        load_identity(chain, None, tmp_path / "keys")
