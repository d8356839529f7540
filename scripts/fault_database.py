"""The database goes away under a running server and comes back (scripts/fault-database).

A server on its own PostgreSQL: while the database is stopped, uploads and downloads answer 503
and store nothing, /healthz answers 503 within its 3 s budget; once the database is back the
server recovers by itself, the file stored before is intact and uploads work again.

A server on the embedded SQLite file, which another process locks for writing (as a backup tool
or a stray `sqlite3` shell can; it works as root, where a read-only file would not): uploads
answer 503 and store nothing, /healthz answers 503 (it probes with a write: reads still pass),
downloads go on; once the lock is gone, uploads work again.
"""

import hashlib
import os
import sqlite3
import subprocess
import sys
import time
import urllib.parse

from instances import Instance, run_checks
from steps import MIB, check, note, step


def blobs(instance):
    """Files under the server's blobs/ and tmp/ (the local blob store)."""
    return sorted(f"{folder}/{name}" for folder in ("blobs", "tmp") for name in instance.stored(folder))


def upload(instance, name, body):
    return instance.request("PUT", "/" + name, {"Content-Length": str(len(body))}, body)


def start_with_a_file(server):
    """Starts `server` and stores a 3 MiB file; returns its bytes, its link's path and the blobs."""
    server.start()
    kept = os.urandom(3 * MIB)
    status, _, body = upload(server, "kept.bin", kept)
    check(status == 201, f"the first upload answered {status}")
    return kept, urllib.parse.urlsplit(body.decode().strip()).path, blobs(server)


def postgres_stopped(server, postgres, pg_dir):
    kept, link, stored = start_with_a_file(server)
    step(f"PostgreSQL: a 3 MiB file stored with the database up ({len(stored)} blob)")

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


def sqlite_locked(server):
    kept, link, stored = start_with_a_file(server)

    holder = sqlite3.connect(os.path.join(server.data_dir, "sluice.sqlite"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        started = time.time()
        status, _, _ = server.request("GET", "/healthz")
        health_took = time.time() - started
        check(status == 503 and health_took < 5, f"/healthz with the database locked: {status} after {health_took:.1f} s")
        started = time.time()
        status, _, body = upload(server, "lost.bin", os.urandom(MIB))
        upload_took = time.time() - started
        check(status == 503, f"an upload with the database locked answered {status}: {body[:100]!r}")
        started = time.time()
        status, _, body = server.request("GET", link)
        download_took = time.time() - started
        check(status == 200 and body == kept, f"a download with the database locked answered {status}")
        check(blobs(server) == stored, f"the refused upload left bytes: {blobs(server)}")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    step(f"SQLite locked by another process: /healthz 503 in {health_took:.1f} s, upload 503 in "
         f"{upload_took:.1f} s (nothing stored), download 200 in {download_took:.1f} s")

    started = time.time()
    while server.request("GET", "/healthz")[0] != 200:
        check(time.time() - started < 30, "/healthz did not come back within 30 s of the lock's end")
        time.sleep(0.2)
    status, _, _ = upload(server, "after.bin", os.urandom(MIB))
    check(status == 201, f"an upload after the lock ended answered {status}")
    check(len(blobs(server)) == len(stored) + 1, f"blobs after recovery: {blobs(server)}")
    step(f"lock gone: /healthz 200 after {time.time() - started:.1f} s, uploads work, nothing else stored")


def main():
    binary, work, port, sqlite_port, postgres, pg_dir, database = sys.argv[1:8]
    on_postgres = Instance(binary, work, "db-fault", int(port), database=database)
    on_sqlite = Instance(binary, work, "sqlite-fault", int(sqlite_port))

    def checks():
        postgres_stopped(on_postgres, postgres, pg_dir)
        on_postgres.stop()
        sqlite_locked(on_sqlite)

    run_checks([on_postgres, on_sqlite], checks, "database fault test passed")


if __name__ == "__main__":
    main()
