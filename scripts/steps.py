"""Step reporting shared by the third-party client runs (tus_conformance.py, browser_e2e.py)."""


class Failure(Exception):
    """A step whose expectation did not hold."""


def check(condition, message):
    if not condition:
        raise Failure(message)


def step(text):
    print(f"ok   {text}", flush=True)


def note(text):
    print(f"     {text}", flush=True)
