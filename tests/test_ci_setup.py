"""`.ci/setup` waits, saying so, while another apt holds apt's or dpkg's lock, instead of
failing at once: its wait (.ci/apt_wait.sh) run against a lock this test holds the way dpkg
does (a POSIX record lock), then releases."""

from __future__ import annotations

import fcntl
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_setup_waits_for_a_held_apt_lock_and_goes_on_when_it_is_free(tmp_path: Path) -> None:
    lock = tmp_path / "lock-frontend"
    free = tmp_path / "lock"
    free.touch()
    with lock.open("w") as held:
        fcntl.lockf(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        waiter = subprocess.Popen(
            ["bash", "-c", f'source .ci/apt_wait.sh && wait_for_apt "{free}" "{lock}"'],
            cwd=REPO,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert waiter.stderr is not None
            first = waiter.stderr.readline()  # printed before it starts waiting
            assert "apt is busy" in first and "waiting for it to finish" in first, first
            assert waiter.poll() is None, "it returned while the lock was still held"
        except BaseException:
            waiter.kill()
            raise
    # The lock is released with the file closed: the wait ends by itself, successfully.
    assert waiter.wait(timeout=60) == 0
    assert "apt is free" in waiter.stderr.read()


def test_setup_does_not_wait_when_apt_is_free(tmp_path: Path) -> None:
    lock = tmp_path / "lock-frontend"
    lock.touch()
    done = subprocess.run(
        ["bash", "-c", f'source .ci/apt_wait.sh && wait_for_apt "{lock}"'],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == ""


def test_setup_waits_before_each_apt_get() -> None:
    """The script itself: its apt-get runs only as root or with sudo, which this test cannot
    arrange without installing something; each follows a wait and takes a lock timeout."""
    lines = (REPO / ".ci" / "setup").read_text().splitlines()
    assert "source .ci/apt_wait.sh" in lines
    runs = [i for i, line in enumerate(lines) if "apt-get update" in line]
    assert len(runs) == 2  # root, sudo
    for i in runs:
        assert lines[i - 1].strip() == "wait_for_apt", lines[i - 1]
        assert '"${apt_options[@]}"' in lines[i]
    assert any("DPkg::Lock::Timeout" in line for line in lines)
