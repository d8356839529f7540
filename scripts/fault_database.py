"""The database goes away under a running server and comes back (scripts/fault-database).

A server on its own PostgreSQL: while the database is stopped, uploads and downloads answer 503
and store nothing, /healthz answers 503 within its 3 s budget; once the database is back the
server recovers by itself, the file stored before is intact and uploads work again.
"""

import hashlib
import os
import subprocess
import sys
import time
import urllib.parse

from instances import Instance, run_checks
from steps import MIB, check, note, step


def blobs(instance):
    """Files under the server's blobs/ and tmp/ (the local blob store)."""
    found = []
    for folder in ("blobs", "tmp"):
        for root, _, files in os.walk(os.path.join(instance.data_dir, folder)):
            found += [os.path.join(folder, name) for name in files]
    return sorted(found)


def upload(instance, name, body):
    return instance.request("PUT", "/" + name, {"Content-Length": str(len(body))}, body)


def main():
    binary, work, port, postgres, pg_dir, database = sys.argv[1:7]
    server = Instance(binary, work, "db-fault", int(port), database=database)

    def checks():
        server.start()
        kept = os.urandom(3 * MIB)
        status, _, body = upload(server, "kept.bin", kept)
        check(status == 201, f"the first upload answered {status}")
        link = urllib.parse.urlsplit(body.decode().strip()).path
        stored = blobs(server)
        step(f"a 3 MiB file stored with the database up ({len(stored)} blob)")

        subprocess.run([postgres, "down", pg_dir], check=True, capture_output=True)
        started = time.time()
        status, _, _ = server.request("GET", "/healthz")
        took = time.time() - started
        check(status == 503 and took < 5, f"/healthz with the database down: {status} after {took:.1f} s")
        status, _, body = upload(server, "lost.bin", os.urandom(MIB))
        check(status == 503, f"an upload with the database down answered {status}: {body[:100]!r}")
        status, _, _ = server.request("GET", link)
        check(status == 503, f"a download with the database down answered {status}")
        check(blobs(server) == stored, f"the refused upload left bytes: {blobs(server)}")
        step(f"database down: /healthz 503 in {took:.1f} s, upload 503 (nothing stored), download 503")

        subprocess.run([postgres, "start", pg_dir], check=True, capture_output=True)
        started = time.time()
        while server.request("GET", "/healthz")[0] != 200:
            check(time.time() - started < 120, "/healthz did not come back within 120 s of the database")
            time.sleep(0.5)
        note(f"/healthz back to 200 {time.time() - started:.1f} s after the database")
        status, _, body = server.request("GET", link)
        check(status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(kept).digest(),
              f"the file stored before answered {status} or differs")
        status, _, _ = upload(server, "after.bin", os.urandom(MIB))
        check(status == 201, f"an upload after the database came back answered {status}")
        check(len(blobs(server)) == len(stored) + 1, f"blobs after recovery: {blobs(server)}")
        step("database back: the server recovered by itself; the earlier file is intact; uploads work")

    run_checks([server], checks, "database fault test passed")

if __name__ == "__main__":
    main()
