"""A full disk (scripts/fault-disk-full).

The blobs live on a 64 MiB tmpfs. An upload that does not fit answers 507 and leaves nothing
(no record, no temporary file); the server keeps serving downloads; once space is freed (a
delete), uploads work again.
"""

import hashlib
import json
import os
import socket
import sqlite3
import sys
import urllib.parse

from instances import Instance, run_checks
from steps import MIB, check, step


def raw_put(port, name, body):
    """PUTs `body` over a plain socket, carrying on after the server answers early; returns
    the status line's code."""
    with socket.create_connection(("127.0.0.1", port), timeout=60) as connection:
        connection.sendall(f"PUT /{name} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        try:
            for start in range(0, len(body), MIB):
                connection.sendall(body[start:start + MIB])
        except (BrokenPipeError, ConnectionResetError):
            pass
        answer = b""
        try:
            while b"\r\n" not in answer:
                piece = connection.recv(4096)
                if not piece:
                    break
                answer += piece
        except ConnectionResetError:
            pass
    check(answer, f"no answer to the PUT of {name}")
    return int(answer.split(b" ")[1])


def main():
    binary, work, port, storage = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    database = os.path.join(work, "sluice.sqlite")
    server = Instance(binary, work, "full", port, database=database, storage=storage)

    def rows():
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            return connection.execute("SELECT state, COUNT(*) FROM files GROUP BY state").fetchall()

    def leftovers():
        return sorted(os.listdir(os.path.join(storage, "tmp")))

    def used_mib():
        """Space in use on the tmpfs: a temporary file without a name (O_TMPFILE) still counts."""
        stats = os.statvfs(storage)
        return (stats.f_blocks - stats.f_bfree) * stats.f_frsize / MIB

    def checks():
        server.start()
        kept = os.urandom(40 * MIB)
        status, _, body = server.request(
            "PUT", "/kept.bin", {"Content-Length": str(len(kept)), "Accept": "application/json"}, kept)
        check(status == 201, f"a 40 MiB upload on the 64 MiB disk answered {status}")
        answer = json.loads(body)
        step("40 MiB stored on a 64 MiB disk")

        check(raw_put(port, "too-big.bin", os.urandom(40 * MIB)) == 507, "an upload that does not fit did not answer 507")
        check(rows() == [("complete", 1)], f"records after the refused upload: {rows()}")
        check(leftovers() == [], f"temporary files after the refused upload: {leftovers()}")
        check(used_mib() < 41, f"{used_mib():.1f} MiB in use after the refused upload, 40 expected")
        status, _, body = server.request("GET", urllib.parse.urlsplit(answer["url"]).path)
        check(status == 200 and hashlib.sha256(body).digest() == hashlib.sha256(kept).digest(),
              f"the stored file answered {status} or differs while the disk is full")
        step("a second 40 MiB upload: 507, no record and no temporary file left; the first file still downloads intact")

        status, _, _ = server.request("DELETE", urllib.parse.urlsplit(answer["deleteUrl"]).path)
        check(status == 200, f"the delete answered {status}")
        status, _, _ = server.request("PUT", "/after.bin", {"Content-Length": str(40 * MIB)}, os.urandom(40 * MIB))
        check(status == 201, f"an upload after the space was freed answered {status}")
        step("after a delete freed the space, a 40 MiB upload works again")

    run_checks([server], checks, "disk full test passed")


if __name__ == "__main__":
    main()
