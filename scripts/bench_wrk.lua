-- Parts 3 and 4 of scripts/bench under wrk: requests of one kind for wrk's duration (wrk cannot
-- stop after a number of requests: a thread that stops still waits out the duration). Set by
-- the environment:
--   BENCH_MODE        put (4 KiB PUTs to BENCH_PREFIX<thread>-<n>.bin), get (GETs of the paths
--                     listed one per line in BENCH_PATHS, in turn), or range (GETs of
--                     BENCH_PATH with a random 64 KiB Range inside BENCH_SIZE bytes)
-- Prints one JSON line: requests, seconds, requests/s, p99 ms and failures (errors or answers
-- other than the one expected).
local mode = os.getenv("BENCH_MODE")
local range_length = 65536

local threads = {}
function setup(thread)
    thread:set("number", #threads + 1)
    table.insert(threads, thread)
end

function init(args)
    failures, sent = 0, 0
    math.randomseed(number * 7919)
    if mode == "put" then
        body = string.rep("x", 4096)
        prefix = os.getenv("BENCH_PREFIX")
    elseif mode == "get" then
        paths = {}
        for line in io.lines(os.getenv("BENCH_PATHS")) do table.insert(paths, line) end
    else
        path = os.getenv("BENCH_PATH")
        size = tonumber(os.getenv("BENCH_SIZE"))
    end
end

function request()
    sent = sent + 1
    if mode == "put" then
        return wrk.format("PUT", prefix .. number .. "-" .. sent .. ".bin", {["Content-Length"] = "4096"}, body)
    elseif mode == "get" then
        return wrk.format("GET", paths[(sent + number) % #paths + 1])
    end
    local first = math.random(0, size - range_length)
    return wrk.format("GET", path, {Range = "bytes=" .. first .. "-" .. (first + range_length - 1)})
end

local expected = {put = {[200] = true, [201] = true, [204] = true}, get = {[200] = true}, range = {[206] = true}}

function response(status, headers, body)
    if not expected[mode][status] then failures = failures + 1 end
end

function done(summary, latency, requests)
    local failed = 0
    for _, thread in ipairs(threads) do failed = failed + thread:get("failures") end
    local e = summary.errors
    failed = failed + e.connect + e.read + e.write + e.timeout
    local seconds = summary.duration / 1e6
    io.write(string.format('{"requests": %d, "seconds": %.3f, "rps": %.0f, "p99": %.2f, "failures": %d}\n',
        summary.requests, seconds, summary.requests / seconds, latency:percentile(99) / 1000, failed))
end
