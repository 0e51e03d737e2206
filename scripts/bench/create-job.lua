-- wrk script: POST /v1/jobs with a small job spec (3 instances, a command); each request a new job.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
    counter = counter + 1
    local body = string.format(
        '{"name": "bench-%d", "instances": %d, "cpus": 0.5, "memory": 256, "disk": 1, "command": ["/bin/true"]}',
        counter % 100000, tonumber(os.getenv("BENCH_INSTANCES") or "3"))
    return wrk.format(nil, "/v1/jobs", nil, body)
end
