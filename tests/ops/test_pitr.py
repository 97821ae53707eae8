"""Point-in-time recovery (issue 24.2), as docs/operations.md describes it, on Debian's PostgreSQL 15:
WAL archiving + pg_basebackup; write, note the time, write more; recover a copy to the noted moment
and find exactly the first writes (and, to a named restore point, the same)."""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from tests.ops.pgcluster import PG15_BIN, LocalCluster, give_to_postgres_user

pytestmark = [pytest.mark.no_rollback,
              pytest.mark.skipif(not (PG15_BIN / "initdb").exists(), reason="bootstrap.sh --browser installs it")]


def _wait_archived(primary: LocalCluster, segment: str, timeout: float = 30) -> None:
    """Until the archiver has copied ``segment`` (WAL file names sort in write order)."""
    deadline = time.monotonic() + timeout
    while True:
        last = primary.sql("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver")[0][0]
        if last >= segment:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{segment} not archived (last {last!r})")
        time.sleep(0.05)


def _recover(base: Path, archive: Path, **target: str) -> LocalCluster:
    """A new cluster from the base backup, replaying the archive up to the target, then promoted."""
    copy = LocalCluster(PG15_BIN)
    shutil.copytree(base, copy.data)
    (copy.data / "postmaster.pid").unlink(missing_ok=True)
    (copy.data / "recovery.signal").touch()
    copy.data.chmod(0o700)
    give_to_postgres_user(copy.base)
    copy.configure(restore_command=f"cp {archive}/%f %p", recovery_target_action="promote",
                   archive_mode="off", **target)
    copy.start()
    deadline = time.monotonic() + 60
    while copy.sql("SELECT pg_is_in_recovery()")[0][0]:  # replaying, then promoted at the target
        assert time.monotonic() < deadline, "recovery did not finish"
        time.sleep(0.05)
    return copy


def test_recovery_to_a_noted_moment_finds_exactly_the_first_writes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    primary = LocalCluster(PG15_BIN).init()
    archive = primary.base / "wal-archive"
    archive.mkdir()
    give_to_postgres_user(primary.base)
    primary.configure(wal_level="replica", archive_mode="on", archive_timeout="60",
                      archive_command=f"test ! -f {archive}/%f && cp %p {archive}/%f")
    primary.start()
    recovered: list[LocalCluster] = []
    try:
        base = primary.base / "base"
        primary.run("pg_basebackup", "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres", "-D", str(base),
                    "-X", "stream", "--checkpoint=fast", "--no-sync")
        primary.sql("CREATE TABLE decisions (id int PRIMARY KEY, note text)")
        primary.sql("INSERT INTO decisions SELECT g, '第' || g || '回 決裁' FROM generate_series(1, 25) g")
        moment = primary.sql("SELECT clock_timestamp()::text")[0][0]  # the operator notes the time
        primary.sql("SELECT pg_create_restore_point('before-cleanup')")
        # later: more writes, and the mistake to undo
        primary.sql("INSERT INTO decisions SELECT g, 'later' FROM generate_series(26, 40) g")
        primary.sql("DELETE FROM decisions WHERE id <= 10")
        segment = primary.sql("SELECT pg_walfile_name(pg_switch_wal())")[0][0]
        _wait_archived(primary, segment)
        assert primary.sql("SELECT count(*) FROM decisions")[0][0] == 30

        for target in ({"recovery_target_time": moment}, {"recovery_target_name": "before-cleanup"}):
            copy = _recover(base, archive, **target)
            recovered.append(copy)
            rows = copy.sql("SELECT id, note FROM decisions ORDER BY id")
            assert rows == [(g, f"第{g}回 決裁") for g in range(1, 26)], target
            # promoted: the recovered server takes writes again (a new timeline)
            copy.sql("INSERT INTO decisions VALUES (100, 'after recovery')")
            copy.stop()
    finally:
        for cluster in recovered:
            cluster.remove()
        primary.remove()
