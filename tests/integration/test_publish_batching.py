"""How a burst is split into jobs, and the group commit the posts of a job share.

The group commit must keep the one promise the state machine relies on: when
`write()` returns, the write is committed (visible to any other connection), and a
write that fails fails alone.
"""

from __future__ import annotations

import threading
import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from aigrowth.accounts.models import User
from aigrowth.publishing.groupcommit import GroupCommitter
from aigrowth.publishing.service import plan_batches


def _posts(n_posts: int, n_accounts: int) -> tuple[list[tuple[uuid.UUID, int]], dict]:
    accounts = [uuid.uuid4() for _ in range(n_accounts)]
    claimed = [(uuid.uuid4(), 1) for _ in range(n_posts)]
    owner = {cid: accounts[i % n_accounts] for i, (cid, _) in enumerate(claimed)}
    return claimed, owner


def test_a_burst_is_one_job_per_worker_with_each_account_in_one_job():
    claimed, owner = _posts(2000, 200)
    batches = plan_batches(claimed, owner, workers=2, batch_size=1000)
    assert sorted(len(b) for b in batches) == [1000, 1000]
    jobs_of_account: dict[uuid.UUID, set[int]] = {}
    for index, batch in enumerate(batches):
        for cid, _ in batch:
            jobs_of_account.setdefault(owner[cid], set()).add(index)
    assert all(len(jobs) == 1 for jobs in jobs_of_account.values())
    assert sorted(c for b in batches for c in b) == sorted(claimed)  # none lost or doubled


def test_batches_respect_the_size_cap_and_single_posts_stay_single():
    claimed, owner = _posts(2000, 200)
    batches = plan_batches(claimed, owner, workers=2, batch_size=500)
    assert len(batches) == 4 and max(len(b) for b in batches) <= 500
    one = [(uuid.uuid4(), 3)]
    assert plan_batches(one, {}, workers=4, batch_size=500) == [one]
    # One account with more posts than a job holds is split, in order.
    claimed, owner = _posts(1200, 1)
    batches = plan_batches(claimed, owner, workers=2, batch_size=500)
    assert [len(b) for b in batches] == [500, 500, 200]
    assert [c for b in batches for c in b] == claimed


def _user_count(engine, emails: list[str]) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return len(s.exec(select(User.id).where(User.email.in_(emails))).all())  # type: ignore[attr-defined]


def test_group_commit_returns_only_after_commit_and_shares_transactions(engine):
    emails = [f"u{i}@example.com" for i in range(40)]
    seen_after_write: list[bool] = []
    lock = threading.Lock()
    start = threading.Barrier(len(emails))

    with GroupCommitter(engine) as committer:

        def one(email: str) -> None:
            start.wait()
            committer.write(lambda s: s.add(User(email=email)))
            # Another connection sees it the moment write() returned.
            visible = _user_count(engine, [email]) == 1
            with lock:
                seen_after_write.append(visible)

        threads = [threading.Thread(target=one, args=(e,)) for e in emails]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert seen_after_write == [True] * len(emails)
    assert _user_count(engine, emails) == len(emails)
    assert committer.writes == len(emails)
    assert committer.batches < len(emails)  # writes were grouped


def test_a_failing_write_fails_alone(engine):
    with Session(engine) as s:
        s.add(User(email="taken@example.com"))
        s.commit()
    good = [f"ok{i}@example.com" for i in range(10)]
    errors: dict[str, BaseException] = {}
    start = threading.Barrier(len(good) + 1)

    with GroupCommitter(engine) as committer:

        def one(email: str) -> None:
            start.wait()
            try:
                committer.write(lambda s: s.add(User(email=email)))
            except BaseException as exc:
                errors[email] = exc

        threads = [threading.Thread(target=one, args=(e,)) for e in [*good, "taken@example.com"]]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert list(errors) == ["taken@example.com"]
    assert isinstance(errors["taken@example.com"], IntegrityError)
    assert _user_count(engine, good) == len(good)


def test_write_after_close_still_commits(engine):
    committer = GroupCommitter(engine)
    committer.__enter__()
    committer.close()
    committer.write(lambda s: s.add(User(email="late@example.com")))
    assert _user_count(engine, ["late@example.com"]) == 1
