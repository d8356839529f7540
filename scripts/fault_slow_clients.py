"""Slow and idle clients (scripts/fault-slow-clients).

500 connections send their request headers one byte a second and 100 more make one request and
then keep their connection open saying nothing, while a normal client keeps uploading and
checking /healthz: the normal client must be served within its usual time, every slow connection
must be closed once `--header-timeout` has passed, and every silent one once `--idle-timeout`
has.
"""

import asyncio
import statistics
import sys
import time

from instances import Instance, run_checks
from steps import check, step

SLOW, SILENT = 500, 100
HEADER_TIMEOUT, IDLE_TIMEOUT = 5, 3


async def slow_client(port, closed_after):
    """Sends a request one byte a second until the server closes; records when that was."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    try:
        for byte in request:
            writer.write(bytes([byte]))
            await writer.drain()
            try:
                if await asyncio.wait_for(reader.read(1024), timeout=1) == b"":
                    break
            except asyncio.TimeoutError:
                pass
    except (ConnectionError, OSError):
        pass
    closed_after.append(time.monotonic() - started)
    writer.close()


async def silent_client(port, closed_after):
    """Makes one request on a kept-alive connection, then says nothing; records when the server
    closed it, counted from the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
    check(head.startswith(b"HTTP/1.1 200"), f"a silent client's request answered {head[:20]!r}")
    await reader.readexactly(3)
    answered = time.monotonic()
    try:
        await asyncio.wait_for(reader.read(1024), timeout=IDLE_TIMEOUT * 4)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        pass
    closed_after.append(time.monotonic() - answered)
    writer.close()


async def exchange(port, request):
    """One request on a new connection; returns (status, seconds)."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)
    length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    await asyncio.wait_for(reader.readexactly(length), timeout=30)
    writer.close()
    return int(head.split(b" ")[1]), time.monotonic() - started


async def normal_client(port, until):
    """Uploads 64 KiB and downloads it again, over and over; returns the request times."""
    body = bytes(range(256)) * 256
    times = []
    while time.monotonic() < until:
        status, took = await exchange(port, b"PUT /normal.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: "
                                      + str(len(body)).encode() + b"\r\n\r\n" + body)
        check(status == 201, f"a normal upload answered {status}")
        times.append(took)
        status, took = await exchange(port, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        check(status == 200, f"a normal /healthz answered {status}")
        times.append(took)
        await asyncio.sleep(0.05)
    return times


async def scenario(port):
    baseline = await normal_client(port, time.monotonic() + 2)
    slow_closed, silent_closed = [], []
    attackers = [asyncio.create_task(slow_client(port, slow_closed)) for _ in range(SLOW)]
    attackers += [asyncio.create_task(silent_client(port, silent_closed)) for _ in range(SILENT)]
    await asyncio.sleep(1)
    under_load = await normal_client(port, time.monotonic() + HEADER_TIMEOUT + 3)
    await asyncio.wait_for(asyncio.gather(*attackers), timeout=HEADER_TIMEOUT * 6)

    def p99(values):
        return sorted(values)[int(len(values) * 0.99) - 1] if len(values) > 1 else values[0]

    step(f"normal client alone: {len(baseline)} requests, median {statistics.median(baseline) * 1000:.1f} ms, "
         f"p99 {p99(baseline) * 1000:.1f} ms")
    step(f"with {SLOW} slow and {SILENT} silent connections: {len(under_load)} requests, median "
          f"{statistics.median(under_load) * 1000:.1f} ms, p99 {p99(under_load) * 1000:.1f} ms, "
         f"max {max(under_load) * 1000:.1f} ms")
    check(max(under_load) < 2, f"a normal request took {max(under_load):.1f} s among the slow clients")
    check(len(slow_closed) == SLOW and max(slow_closed) < HEADER_TIMEOUT + 3,
          f"slow connections closed after up to {max(slow_closed):.1f} s (header timeout {HEADER_TIMEOUT} s)")
    check(len(silent_closed) == SILENT and max(silent_closed) < IDLE_TIMEOUT + 3
          and min(silent_closed) > IDLE_TIMEOUT - 1,
          f"silent connections closed after {min(silent_closed):.1f}-{max(silent_closed):.1f} s (idle timeout {IDLE_TIMEOUT} s)")
    step(f"every slow connection closed by {max(slow_closed):.1f} s (header timeout {HEADER_TIMEOUT} s), "
         f"every silent one after {min(silent_closed):.1f}-{max(silent_closed):.1f} s (idle timeout {IDLE_TIMEOUT} s)")


def main():
    binary, work, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    server = Instance(binary, work, "slow", port, options=[
        "--header-timeout", f"{HEADER_TIMEOUT}s", "--idle-timeout", f"{IDLE_TIMEOUT}s"])

    def checks():
        server.start()
        asyncio.run(scenario(port))

    run_checks([server], checks, "slow clients test passed")


if __name__ == "__main__":
    main()
