"""What the third-party client runs share (tus_conformance.py, browser_e2e.py): step reporting
and test files."""

import hashlib
import os

MIB = 1024 * 1024


class Failure(Exception):
    """A step whose expectation did not hold."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def step(text):
    print(f"ok   {text}", flush=True)


def note(text):
    print(f"     {text}", flush=True)


def make_file(path, size):
    """Writes `size` random bytes to `path` a MiB at a time; returns their SHA-256 hex."""
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        left = size
        while left:
            block = os.urandom(min(left, MIB))
            f.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()
