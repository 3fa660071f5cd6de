"""People's cloned voices: each person's own, by name, and erased for good when they delete one.

Real SQLite, and real PostgreSQL too when ``REELWRIGHT_TEST_POSTGRES_URL`` names a database (``.ci/run``
sets it); the artifact store has a ``file://`` folder as its shared store, as the distributed setup does.
"""

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text, update
from sqlalchemy.orm import Session, sessionmaker

from reelwright.errors import BadRequest
from reelwright.plan import PlannerInfo, Requirements, Shot, ShotPlan
from reelwright.records import UserRef
from reelwright.storage.artifacts import PRIVATE_GRACE, ArtifactStore, referenced
from reelwright.storage.db import alembic_config, open_database
from reelwright.storage.models import Artifact, Base, CachedClip, utcnow
from reelwright.storage.repository import Repository

POSTGRES_URL = os.environ.get("REELWRIGHT_TEST_POSTGRES_URL")
ANN = UserRef("discord", "1001", "ann")
BEN = UserRef("discord", "1002", "ben")
STATEMENT = "This is my own voice, or I have the permission of the person speaking."


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgresql", marks=pytest.mark.skipif(not POSTGRES_URL, reason="REELWRIGHT_TEST_POSTGRES_URL is not set (.ci/run sets it)")
        ),
    ]
)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'reelwright.db'}"
    assert POSTGRES_URL is not None
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return POSTGRES_URL


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    sessions = open_database(database_url)
    yield sessions
    sessions.kw["bind"].dispose()


@pytest.fixture
def repository(sessions: sessionmaker[Session]) -> Repository:
    return Repository(sessions)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    return tmp_path / "bucket"


@pytest.fixture
def store(sessions: sessionmaker[Session], tmp_path: Path, shared: Path) -> ArtifactStore:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    return ArtifactStore(tmp_path / "artifacts", sessions, scratch, shared=f"file://{shared}")


@pytest.fixture
def sample(store: ArtifactStore, tmp_path: Path) -> Callable[[bytes], str]:
    """Puts a voice sample into the artifact store, as cloning does; its sha256."""

    def put(content: bytes) -> str:
        file = tmp_path / "upload.wav"
        file.write_bytes(content)
        return store.put(file, "audio", 6.0).sha256

    return put


def artifact_row(sessions: sessionmaker[Session], sha256: str) -> Artifact | None:
    with sessions() as session:
        return session.get(Artifact, sha256)


def test_a_person_adds_lists_gets_and_deletes_their_voice(repository: Repository, sample: Callable[[bytes], str]) -> None:
    sha = sample(b"ann says hello")

    added = repository.add_cloned_voice(ANN, "narrator", sha, 6.5, STATEMENT)
    repository.add_cloned_voice(ANN, "announcer", sample(b"ann shouts"), 4.0, STATEMENT)

    assert (added.owner, added.name, added.sample_sha256, added.sample_seconds, added.statement) == (ANN, "narrator", sha, 6.5, STATEMENT)
    assert added.created_at.tzinfo is not None
    assert [voice.name for voice in repository.cloned_voices(ANN)] == ["announcer", "narrator"]
    assert repository.cloned_voice(ANN, "narrator") == added

    deleted = repository.delete_cloned_voice(ANN, "narrator")

    assert deleted == added  # what the caller needs to erase the sample
    assert repository.cloned_voice(ANN, "narrator") is None
    assert [voice.name for voice in repository.cloned_voices(ANN)] == ["announcer"]


def test_two_people_may_each_have_a_voice_with_the_same_name(repository: Repository, sample: Callable[[bytes], str]) -> None:
    anns = repository.add_cloned_voice(ANN, "narrator", sample(b"ann"), 5.0, STATEMENT)
    bens = repository.add_cloned_voice(BEN, "narrator", sample(b"ben"), 5.0, STATEMENT)

    assert repository.cloned_voice(ANN, "narrator") == anns
    assert repository.cloned_voice(BEN, "narrator") == bens
    assert anns.sample_sha256 != bens.sample_sha256


def test_another_person_can_neither_see_nor_delete_someones_voice(repository: Repository, sample: Callable[[bytes], str]) -> None:
    anns = repository.add_cloned_voice(ANN, "narrator", sample(b"ann"), 5.0, STATEMENT)

    assert repository.cloned_voices(BEN) == []
    assert repository.cloned_voice(BEN, "narrator") is None
    with pytest.raises(BadRequest, match="You have no voice named narrator"):
        repository.delete_cloned_voice(BEN, "narrator")
    assert repository.cloned_voice(ANN, "narrator") == anns


def test_the_same_person_cannot_use_a_name_twice(repository: Repository, sample: Callable[[bytes], str]) -> None:
    first = repository.add_cloned_voice(ANN, "narrator", sample(b"first"), 5.0, STATEMENT)

    with pytest.raises(BadRequest) as refused:
        repository.add_cloned_voice(ANN, "narrator", sample(b"second"), 5.0, STATEMENT)

    assert str(refused.value) == "You already have a voice named narrator; delete it first or choose another name."
    assert repository.cloned_voices(ANN) == [first]


def test_a_person_keeps_at_most_ten_voices(repository: Repository, sample: Callable[[bytes], str]) -> None:
    for number in range(10):
        repository.add_cloned_voice(ANN, f"voice-{number}", sample(f"take {number}".encode()), 5.0, STATEMENT)

    with pytest.raises(BadRequest) as refused:
        repository.add_cloned_voice(ANN, "voice-10", sample(b"one too many"), 5.0, STATEMENT)

    assert str(refused.value) == "You already have 10 voices, the most one person may keep; delete one first."

    repository.add_cloned_voice(BEN, "voice-0", sample(b"ben's first"), 5.0, STATEMENT)  # the limit is each person's
    repository.delete_cloned_voice(ANN, "voice-3")
    repository.add_cloned_voice(ANN, "voice-10", sample(b"room again"), 5.0, STATEMENT)
    assert len(repository.cloned_voices(ANN)) == 10


def test_clones_sent_at_the_same_moment_cannot_pass_the_limit(repository: Repository, sample: Callable[[bytes], str]) -> None:
    shas = [sample(f"take {number}".encode()) for number in range(14)]
    added, refused = [], []

    def clone(number: int) -> None:
        try:
            added.append(repository.add_cloned_voice(ANN, f"voice-{number}", shas[number], 5.0, STATEMENT))
        except BadRequest:
            refused.append(number)

    threads = [threading.Thread(target=clone, args=(number,)) for number in range(14)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (len(added), len(refused)) == (10, 4)
    assert len(repository.cloned_voices(ANN)) == 10


@pytest.mark.parametrize("name", ["", "x" * 41, "my voice", "../narrator", "clone:narrator", "naïve", "narrator\n", "@everyone"])
def test_a_name_that_is_not_letters_digits_dashes_or_underscores_is_refused(
    repository: Repository, sample: Callable[[bytes], str], name: str
) -> None:
    rule = "A voice name is 1 to 40 letters"

    with pytest.raises(BadRequest, match=rule):
        repository.add_cloned_voice(ANN, name, sample(b"ann"), 5.0, STATEMENT)
    with pytest.raises(BadRequest, match=rule):
        repository.delete_cloned_voice(ANN, name)
    assert repository.cloned_voice(ANN, name) is None
    assert repository.cloned_voices(ANN) == []


def test_names_of_every_allowed_kind_are_kept_as_given(repository: Repository, sample: Callable[[bytes], str]) -> None:
    names = ["a", "x" * 40, "My_Voice-2", "007"]
    for name in names:
        repository.add_cloned_voice(ANN, name, sample(name.encode()), 5.0, STATEMENT)

    assert sorted(voice.name for voice in repository.cloned_voices(ANN)) == sorted(names)


def test_forgetting_a_deleted_voices_sample_erases_its_file_here_and_in_the_shared_store_and_its_row(
    repository: Repository, store: ArtifactStore, sessions: sessionmaker[Session], shared: Path, sample: Callable[[bytes], str]
) -> None:
    sha = sample(b"ann says hello")
    local = store.path_of(sha)
    in_shared = shared / local.relative_to(store.root)
    repository.add_cloned_voice(ANN, "narrator", sha, 6.0, STATEMENT)
    assert not store.forget(sha)  # still her voice

    voice = repository.delete_cloned_voice(ANN, "narrator")

    assert store.forget(voice.sample_sha256)
    assert not local.exists() and not in_shared.exists()
    assert artifact_row(sessions, sha) is None
    assert store.forget(sha)  # already gone: nothing left to erase


def test_a_sample_whose_file_is_already_missing_is_still_forgotten(
    repository: Repository, store: ArtifactStore, sessions: sessionmaker[Session], shared: Path, sample: Callable[[bytes], str]
) -> None:
    sha = sample(b"ann says hello")
    local = store.path_of(sha)
    local.unlink()
    (shared / local.relative_to(store.root)).unlink()

    assert store.forget(sha)
    assert artifact_row(sessions, sha) is None


def voice_sample(store: ArtifactStore, tmp_path: Path, content: bytes) -> str:
    """Stores a sample as cloning does (kind "voice"); its sha256."""
    file = tmp_path / "sample.wav"
    file.write_bytes(content)
    return store.put(file, "voice", 6.0).sha256


def stored_long_ago(sessions: sessionmaker[Session], sha256: str) -> None:
    with sessions.begin() as session:
        session.execute(update(Artifact).where(Artifact.sha256 == sha256).values(created_at=utcnow() - 2 * PRIVATE_GRACE))


def test_a_sample_left_behind_when_erasing_it_failed_is_erased_by_the_next_sweep(
    repository: Repository, store: ArtifactStore, sessions: sessionmaker[Session], shared: Path, tmp_path: Path
) -> None:
    sha = voice_sample(store, tmp_path, b"ann says hello")
    local = store.path_of(sha)
    repository.add_cloned_voice(ANN, "narrator", sha, 6.0, STATEMENT)
    repository.delete_cloned_voice(ANN, "narrator")  # ... and the process died before it could forget the file
    stored_long_ago(sessions, sha)

    assert store.sweep_private() == 1
    assert not local.exists() and not (shared / local.relative_to(store.root)).exists()
    assert artifact_row(sessions, sha) is None


def test_a_new_sample_not_yet_claimed_by_its_voice_is_not_swept(
    repository: Repository, store: ArtifactStore, sessions: sessionmaker[Session], tmp_path: Path
) -> None:
    sha = voice_sample(store, tmp_path, b"ann says hello")  # cloning writes the voice's row a moment later

    assert store.sweep_private() == 0
    assert store.path_of(sha).exists() and artifact_row(sessions, sha) is not None


def test_another_machines_copy_of_a_deleted_sample_is_erased_by_its_sweep(
    repository: Repository, store: ArtifactStore, sessions: sessionmaker[Session], shared: Path, tmp_path: Path
) -> None:
    (tmp_path / "worker-scratch").mkdir()
    worker = ArtifactStore(tmp_path / "worker-artifacts", sessions, tmp_path / "worker-scratch", shared=f"file://{shared}")
    sha = voice_sample(store, tmp_path, b"ann says hello")
    repository.add_cloned_voice(ANN, "narrator", sha, 6.0, STATEMENT)
    copy = worker.path_of(sha)  # the worker narrated with it
    assert copy.exists() and worker.sweep_private() == 0  # still her voice

    store.forget(repository.delete_cloned_voice(ANN, "narrator").sample_sha256)

    assert copy.exists()  # erased on the machine that deleted it; the worker's copy goes at its next sweep
    assert worker.sweep_private() == 1 and not copy.exists()


def _another_voice(repository: Repository, sha: str, sessions: sessionmaker[Session]) -> None:
    repository.add_cloned_voice(BEN, "same-take", sha, 6.0, STATEMENT)


def _a_cached_clip(repository: Repository, sha: str, sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        session.add(CachedClip(cache_key="k" * 64, artifact_sha256=sha))


def _a_plan_that_animates_it(repository: Repository, sha: str, sessions: sessionmaker[Session]) -> None:
    plan = ShotPlan(title="Door", shots=(Shot(id=1, prompt="a red door", duration_s=3, seed=1, source_image=sha),))
    repository.create_project(ANN, "a red door", Requirements(), plan, PlannerInfo(engine="template"))


def _a_consent(repository: Repository, sha: str, sessions: sessionmaker[Session]) -> None:
    plan = ShotPlan(title="Door", shots=(Shot(id=1, prompt="a red door", duration_s=3, seed=1),))
    repository.create_project(ANN, "a red door", Requirements(), plan, PlannerInfo(engine="template"), consent=(sha, "It is me."))


def _a_render(repository: Repository, sha: str, sessions: sessionmaker[Session]) -> None:
    plan = ShotPlan(title="Door", shots=(Shot(id=1, prompt="a red door", duration_s=3, seed=1),))
    version = repository.create_project(ANN, "a red door", Requirements(), plan, PlannerInfo(engine="template"))
    render_id = repository.begin_render(version.project_id, 1)
    repository.complete_render(render_id, sha, "/videos/door.mp4", [], 3.0)


@pytest.mark.parametrize("refer", [_another_voice, _a_cached_clip, _a_plan_that_animates_it, _a_consent, _a_render])
def test_a_sample_still_used_elsewhere_keeps_its_file_and_row(
    repository: Repository,
    store: ArtifactStore,
    sessions: sessionmaker[Session],
    sample: Callable[[bytes], str],
    refer: Callable[[Repository, str, sessionmaker[Session]], None],
) -> None:
    sha = sample(b"the same take")
    repository.add_cloned_voice(ANN, "narrator", sha, 6.0, STATEMENT)
    refer(repository, sha, sessions)

    voice = repository.delete_cloned_voice(ANN, "narrator")

    assert not store.forget(voice.sample_sha256)
    assert store.path_of(sha).exists() and artifact_row(sessions, sha) is not None


def test_forget_knows_every_column_that_points_at_an_artifact() -> None:
    """A table added later with a foreign key to an artifact must keep that artifact's file too."""
    checked = str(referenced("0" * 64))
    pointing = [
        f"{column.table.name}.{column.name}"
        for table in Base.metadata.tables.values()
        for column in table.columns
        for key in column.foreign_keys
        if key.column.table.name == "artifacts"
    ]

    assert pointing and all(name in checked for name in pointing), (pointing, checked)


def test_the_migrations_create_and_drop_the_voices_table_as_the_models_describe_it(database_url: str) -> None:
    sessions = open_database(database_url)
    engine = sessions.kw["bind"]
    config = alembic_config()
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            assert {"owner_id", "name"} in [
                set(unique["column_names"]) for unique in inspect(connection).get_unique_constraints("cloned_voices")
            ]

        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0007")
        with engine.connect() as connection:
            assert "cloned_voices" not in inspect(connection).get_table_names()
            assert "consents" in inspect(connection).get_table_names()

        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        with engine.connect() as connection:
            assert "cloned_voices" in inspect(connection).get_table_names()
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()
