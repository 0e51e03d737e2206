# Writes Sources/TitanControlPlane/HTTP/openapi.json, the OpenAPI document titan-api serves.
# Edit this file, run `python3 scripts/openapi.py`, commit both; OpenAPIDocumentTests checks the
# result against the router and the real responses.
import json
def ref(n): return {"$ref": f"#/components/schemas/{n}"}
def arr(s): return {"type": "array", "items": s}
S = {"type": "string"}
DT = {"type": "string", "format": "date-time", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,3})?Z$"}
DTIN = {"type": "string", "pattern": "^(19[7-9][0-9]|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,3})?Z$", "description": "RFC 3339 in UTC: 2026-11-23T20:47:47.123Z"}
INT = {"type": "integer"}
NUM = {"type": "number"}
BOOL = {"type": "boolean"}
def obj(props, required=(), additional=False, desc=None):
    o = {"type": "object", "properties": props, "required": list(required), "additionalProperties": additional}
    if not o["required"]: del o["required"]
    if desc: o["description"] = desc
    return o
states = ["accepted", "launched", "startInitiated", "started", "killInitiated", "finished"]
reasons = ["succeeded", "failed", "oomKilled", "killed", "lost"]
NONSPACE = {"type": "string", "minLength": 1, "maxLength": 128, "pattern": "^[!-~]+$"}
VALUES = {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\u0000]+$"}}
def ctype(t, props, required):
    return {"type": "object", "properties": {"type": {"const": t}, **props}, "required": ["type"] + required, "additionalProperties": False}
constraint = {
    "description": "A placement constraint; `type` decides which other fields it takes (see Docs/job-spec.md).",
    "oneOf": [
        ctype("uniqueHostAttr", {"attribute": NONSPACE}, ["attribute"]),
        ctype("balancedHostAttr", {"attribute": NONSPACE, "expectedValues": {"type": "integer", "minimum": 1, "maximum": 10000}}, ["attribute"]),
        ctype("hostAttrValue", {"attribute": NONSPACE, "values": VALUES}, ["attribute", "values"]),
        ctype("exclusiveHost", {}, []),
        ctype("hostname", {"values": VALUES}, ["values"]),
    ],
}
constraint_out = {"type": "object", "properties": {"type": {"type": "string"}, "attribute": S, "expectedValues": INT, "values": arr(S)}, "required": ["type"], "additionalProperties": False}
name = {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]{0,62}$"}
CELL = "[a-z0-9][a-z0-9-]{0,20}:[0-9]{1,4}"
jobspec_in = {
    "type": "object",
    "description": "A job spec as submitted (Docs/job-spec.md). Exactly one of `image` and `command`; unknown fields are refused. `null` means the default. Rules the schema cannot say (a cell listed twice, `instances` disagreeing with `location`, size limits of argv and environment in bytes) are answered with 400 and the field.",
    "properties": {
        "name": name,
        "applicationName": name,
        "version": {"type": "string", "maxLength": 128, "pattern": "^[A-Za-z0-9._+-]*$"},
        "location": {"type": "string", "pattern": "^" + CELL + "(," + CELL + "){0,7}$", "description": "Instances per cell: `CELL:COUNT,...`, e.g. `dc1:20,dc2:40`; each cell once."},
        "instances": {"type": "integer", "minimum": 0, "maximum": 100000},
        "cpus": {"type": "number", "exclusiveMinimum": 0, "maximum": 1024},
        "memory": {"type": "integer", "minimum": 1, "maximum": 16777216, "description": "MB per task."},
        "disk": {"type": "integer", "minimum": 0, "maximum": 65536, "description": "GB per task."},
        "ports": {"type": "integer", "minimum": 0, "maximum": 64},
        "networkMbps": {"type": "integer", "minimum": 1, "maximum": 400000},
        "restartOnFailure": BOOL,
        "numRetries": {"type": "integer", "minimum": 0, "maximum": 1000},
        "restartOnSuccess": BOOL,
        "image": {"type": "string", "minLength": 1, "maxLength": 512, "pattern": "^[!-,.-~][!-~]*$"},
        "command": {"type": "array", "items": {"type": "string", "maxLength": 1024, "pattern": "^[^\\u0000]*$"}, "minItems": 1, "maxItems": 64,
                    "prefixItems": [{"type": "string", "minLength": 1, "maxLength": 1024, "pattern": "^[^\\u0000]+$"}]},
        "environment": {"type": "object", "maxProperties": 64, "propertyNames": {"pattern": "^[A-Za-z_][A-Za-z0-9_]{0,63}$"},
                        "additionalProperties": {"type": "string", "maxLength": 1024, "pattern": "^[^\\u0000]*$"}},
        "kind": {"type": "string", "enum": ["service", "batch"]},
        "tier": {"type": "string", "enum": ["critical", "flex"]},
        "capacityGroup": name,
        "hardConstraints": {"type": "array", "items": ref("Constraint"), "maxItems": 32},
        "softConstraints": {"type": "array", "items": ref("Constraint"), "maxItems": 32},
        "durationSeconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 31536000},
    },
    "required": ["name"],
    "additionalProperties": False,
    "oneOf": [{"required": ["image"]}, {"required": ["command"]}],
    "allOf": [
        {"not": {"required": ["location", "instances"]}},
        {"not": {"properties": {"kind": {"const": "batch"}, "restartOnSuccess": {"const": True}}, "required": ["kind", "restartOnSuccess"]}},
        {"not": {"properties": {"kind": {"const": "batch"}, "instances": {"const": 0}}, "required": ["kind", "instances"]}},
        {"not": {"properties": {"kind": {"const": "batch"}, "location": {"pattern": "^[a-z0-9-]+:0+(,[a-z0-9-]+:0+)*$"}}, "required": ["kind", "location"]}},
    ],
}
jobspec_out = obj({
    "name": S, "applicationName": S, "version": S, "location": S, "cpus": NUM, "memory": INT, "disk": INT, "ports": INT,
    "networkMbps": INT, "restartOnFailure": BOOL, "numRetries": INT, "restartOnSuccess": BOOL, "image": S,
    "command": arr(S), "environment": {"type": "object", "additionalProperties": S},
    "kind": {"type": "string", "enum": ["service", "batch"]}, "tier": {"type": "string", "enum": ["critical", "flex"]},
    "capacityGroup": S, "hardConstraints": arr(ref("ConstraintOut")), "softConstraints": arr(ref("ConstraintOut")),
    "durationSeconds": NUM,
}, required=["name", "applicationName", "version", "location", "cpus", "memory", "disk", "ports", "restartOnFailure",
             "numRetries", "restartOnSuccess", "environment", "kind", "tier", "capacityGroup", "hardConstraints", "softConstraints"],
   desc="A stored job spec in canonical form: every field written out, defaults filled in.")
counts = obj({s: INT for s in states}, required=states)
job_summary = obj({
    "id": S, "name": S, "applicationName": S, "version": S,
    "kind": {"type": "string", "enum": ["service", "batch"]}, "tier": {"type": "string", "enum": ["critical", "flex"]},
    "capacityGroup": S, "status": {"type": "string", "enum": ["active", "killing", "succeeded", "failed", "killed"]},
    "desiredInstances": INT, "createdAt": DT, "updatedAt": DT, "taskCounts": ref("TaskStateCounts"),
}, required=["id", "name", "applicationName", "version", "kind", "tier", "capacityGroup", "status", "desiredInstances", "createdAt", "updatedAt"])
task_summary = obj({
    "id": S, "jobID": S, "instanceIndex": INT, "cell": S, "attempt": INT, "retriesUsed": INT,
    "state": {"type": "string", "enum": states}, "finishReason": {"type": "string", "enum": reasons}, "host": S,
    "ports": arr(INT), "pendingReason": S, "exitCode": INT, "message": S, "killRequested": BOOL,
    "createdAt": DT, "updatedAt": DT, "launchedAt": DT, "startedAt": DT, "finishedAt": DT, "nextRestartAt": DT,
}, required=["id", "jobID", "instanceIndex", "cell", "attempt", "retriesUsed", "state", "ports", "killRequested", "createdAt", "updatedAt"])
history = obj({"taskID": S, "attempt": INT, "from": {"type": "string", "enum": states}, "to": {"type": "string", "enum": states},
               "finishReason": {"type": "string", "enum": reasons}, "at": DT, "message": S}, required=["taskID", "attempt", "from", "to", "at"])
usage = obj({"taskID": S, "attempt": INT, "cpuSeconds": NUM, "cpuPercent": NUM, "memoryBytes": INT},
            required=["taskID", "attempt", "cpuSeconds", "cpuPercent", "memoryBytes"])
port_range = obj({"first": INT, "last": INT}, required=["first", "last"])
resources = obj({"cpus": NUM, "memoryMB": INT, "diskGB": INT, "networkMbps": INT, "portRanges": arr(ref("PortRange")),
                 "scalars": {"type": "object", "additionalProperties": NUM}}, required=["cpus", "memoryMB", "diskGB"], additional=False)
host = obj({"id": S, "address": S, "resources": ref("HostResources"), "attributes": {"type": "object", "additionalProperties": S},
            "state": {"type": "string", "enum": ["up", "down"]}, "disabledUntil": DT, "lastHeartbeatAt": DT, "registeredAt": DT,
            "taskCount": INT}, required=["id", "address", "resources", "attributes", "state", "registeredAt"])
problem = obj({"field": S, "message": S}, required=["field", "message"])
error = obj({"error": obj({"code": S, "message": S, "problems": arr(ref("FieldProblem"))}, required=["code", "message", "problems"])}, required=["error"])
def page(item): return obj({"items": arr(ref(item)), "nextCursor": S}, required=["items"])
ATTEMPT = {"type": "integer", "minimum": 0, "maximum": 1000000}
PORT = {"type": "integer", "minimum": 1, "maximum": 65535}
agent_report = obj({"taskID": S, "attempt": ATTEMPT, "state": {"type": "string", "enum": ["startInitiated", "started"]}, "ports": arr(PORT), "startedAt": DTIN},
                   required=["taskID", "attempt", "state", "ports"], additional=True)
resources_in = obj({"cpus": {"type": "number", "minimum": 0.01, "maximum": 100000}, "memoryMB": {"type": "integer", "minimum": 1, "maximum": 1000000000},
                    "diskGB": {"type": "integer", "minimum": 0, "maximum": 1000000000}, "networkMbps": {"type": "integer", "minimum": 0, "maximum": 1000000000},
                    "portRanges": arr(ref("PortRangeRequest")), "scalars": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0, "maximum": 1000000}}},
                   required=["cpus", "memoryMB", "diskGB"], additional=True)
registration = obj({"agentID": {"type": "string", "minLength": 1, "maxLength": 253}, "address": S, "agentVersion": S, "resources": ref("HostResourcesRequest"),
                    "attributes": {"type": "object", "additionalProperties": S}, "runningTasks": arr(ref("AgentTaskReport"))},
                   required=["agentID", "address", "agentVersion", "resources", "attributes", "runningTasks"], additional=True)
kill_dir = obj({"taskID": S, "attempt": INT, "reason": S}, required=["taskID", "attempt", "reason"])
directives = obj({"heartbeatIntervalSeconds": NUM, "lostAfterSeconds": NUM, "kill": arr(ref("AgentKillDirective"))},
                 required=["heartbeatIntervalSeconds", "lostAfterSeconds", "kill"])
launch = obj({"jobID": S, "jobName": S, "image": S, "command": arr(S), "environment": {"type": "object", "additionalProperties": S},
              "cpus": NUM, "memoryMB": INT, "diskGB": INT, "networkMbps": INT, "ports": arr(INT), "durationSeconds": NUM,
              "labels": {"type": "object", "additionalProperties": S}},
             required=["jobID", "jobName", "environment", "cpus", "memoryMB", "diskGB", "networkMbps", "ports", "labels"])
killspec = obj({"gracePeriodSeconds": NUM, "reason": S}, required=["gracePeriodSeconds", "reason"])
order = obj({"seq": INT, "kind": {"type": "string", "enum": ["launch", "kill"]}, "taskID": S, "attempt": INT,
             "launch": ref("LaunchSpec"), "kill": ref("KillSpec")}, required=["seq", "kind", "taskID", "attempt"])
status_update = {
    "type": "object",
    "description": "One thing that happened to a run; `reason` is given exactly when `state` is finished.",
    "properties": {"taskID": S, "attempt": ATTEMPT, "state": {"type": "string", "enum": ["startInitiated", "started", "finished"]},
                   "reason": {"type": "string", "enum": reasons}, "exitCode": {"type": "integer", "minimum": -1000000, "maximum": 1000000}, "message": S, "at": DTIN},
    "required": ["taskID", "attempt", "state", "at"],
    "oneOf": [
        {"properties": {"state": {"enum": ["startInitiated", "started"]}}, "not": {"required": ["reason"]}},
        {"properties": {"state": {"const": "finished"}}, "required": ["reason"]},
    ],
}
usage_in = obj({"taskID": S, "attempt": ATTEMPT, "cpuSeconds": {"type": "number", "minimum": 0, "maximum": 1e12}, "cpuPercent": {"type": "number", "minimum": 0, "maximum": 1e6},
                "memoryBytes": {"type": "integer", "minimum": 0, "maximum": 1000000000000000}}, required=["taskID", "attempt", "cpuSeconds", "cpuPercent", "memoryBytes"], additional=True)
usage_report = obj({"at": DTIN, "tasks": arr(ref("TaskUsageReport"))}, required=["at", "tasks"], additional=True)
event = obj({"id": INT, "at": DT, "kind": S, "jobID": S, "taskID": S, "message": S}, required=["id", "at", "kind", "message"])

schemas = {
    "JobSpecRequest": jobspec_in, "JobSpec": jobspec_out, "Constraint": constraint, "ConstraintOut": constraint_out, "TaskStateCounts": counts,
    "JobSummary": job_summary, "JobDetail": obj({"job": ref("JobSummary"), "spec": ref("JobSpec")}, required=["job", "spec"]),
    "JobPage": page("JobSummary"), "TaskSummary": task_summary, "TaskPage": page("TaskSummary"),
    "TaskHistoryEntry": history, "TaskUsage": usage,
    "TaskDetail": obj({"task": ref("TaskSummary"), "history": arr(ref("TaskHistoryEntry")), "usage": ref("TaskUsage")}, required=["task", "history"]),
    "PortRange": port_range, "HostResources": resources, "HostSummary": host, "HostPage": page("HostSummary"),
    "FieldProblem": problem, "Error": error, "EventRecord": event,
    "ScaleRequest": obj({"instances": {"type": "integer", "minimum": 0, "maximum": 100000}}, required=["instances"]),
    "DisableRequest": {**obj({"until": DTIN, "forSeconds": {"type": "number", "exclusiveMinimum": 0, "maximum": 31536000}},
                          desc="Neither field: disabled until enabled. `until`: an RFC 3339 time. `forSeconds`: from now. Not both."), "maxProperties": 1},
    "Status": obj({"status": S}, required=["status"]),
    "AgentTaskReport": agent_report, "AgentRegistration": registration, "AgentKillDirective": kill_dir, "AgentDirectives": directives,
    "AgentHeartbeat": obj({"runningTasks": arr(ref("AgentTaskReport"))}, required=["runningTasks"], additional=True),
    "LaunchSpec": launch, "KillSpec": killspec, "AgentOrder": order, "AgentOrders": obj({"orders": arr(ref("AgentOrder"))}, required=["orders"]),
    "AgentStatusUpdate": status_update, "AgentStatusBatch": obj({"updates": arr(ref("AgentStatusUpdate"))}, required=["updates"], additional=True),
    "AgentStatusAck": obj({"accepted": INT}, required=["accepted"]), "AgentUsageReport": usage_report, "TaskUsageReport": usage_in,
    "HostResourcesRequest": resources_in, "PortRangeRequest": {**obj({"first": PORT, "last": PORT}, required=["first", "last"]), "description": "first <= last"},
}

def err(desc): return {"description": desc, "content": {"application/json": {"schema": ref("Error")}}}
def ok(schema, desc="OK"): return {"description": desc, "content": {"application/json": {"schema": ref(schema)}}}
E400 = err("The request is malformed; `problems` lists every field and what is wrong with it.")
E404 = err("Not found.")
E409 = err("The request conflicts with the current state.")
E413 = err("The body is larger than 1 MiB.")
E503 = err("titan-api is recovering its state or shutting down; retry shortly.")
def pparam(n, d): return {"name": n, "in": "path", "required": True, "schema": {"type": "string"}, "description": d}
def qparam(n, schema, d): return {"name": n, "in": "query", "required": False, "schema": schema, "description": d}
def body(schema, example=None):
    b = {"required": True, "content": {"application/json": {"schema": ref(schema)}}}
    if example is not None: b["content"]["application/json"]["example"] = example
    return b
example_spec = {"name": "rocker", "applicationName": "nf-rocker", "version": "1.06", "location": "dc1:20,dc2:40,dc5:60",
                "image": "nf/rocker:1.06", "cpus": 4, "memory": 3200, "disk": 40, "ports": 2,
                "restartOnFailure": True, "numRetries": 10, "restartOnSuccess": False}
job = pparam("jobID", "The job's id.")
task = pparam("taskID", "The task's id, `<job id>-<instance index>`.")
hostp = pparam("hostID", "The host's id (its agent's id).")
agent = pparam("agentID", "The agent's id: the hostname the scheduler knows the host by.")
paths = {
    "/healthz": {"get": {"operationId": "health", "summary": "The process answers.", "responses": {"200": ok("Status")}}},
    "/readyz": {"get": {"operationId": "ready", "summary": "Recovery is done and the API serves agents.", "responses": {"200": ok("Status"), "503": E503}}},
    "/metrics": {"get": {"operationId": "metrics", "summary": "Prometheus metrics (text exposition format).",
                         "responses": {"200": {"description": "Metrics.", "content": {"text/plain": {"schema": S}}}}}},
    "/openapi.json": {"get": {"operationId": "openAPI", "summary": "This document.", "responses": {"200": {"description": "The OpenAPI document.", "content": {"application/json": {"schema": {"type": "object"}}}}}}},
    "/v1/jobs": {
        "post": {"operationId": "createJob", "summary": "Create a job; idempotent with an Idempotency-Key.",
                 "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "minLength": 1, "maxLength": 256, "pattern": "^[!-~]+$"},
                                 "description": "A client token: a repeat with the same key and spec returns the first job (200); another spec is a conflict (409)."}],
                 "requestBody": body("JobSpecRequest", example_spec),
                 "responses": {"201": ok("JobDetail", "Created; `Location` names the job."), "200": ok("JobDetail", "A repeat of an earlier request with this Idempotency-Key."),
                               "400": E400, "409": E409, "413": E413, "503": E503}},
        "get": {"operationId": "listJobs", "summary": "List jobs, oldest first, one page at a time.",
                "parameters": [qparam("status", {"type": "string", "pattern": "^(active|killing|succeeded|failed|killed)(,(active|killing|succeeded|failed|killed))*$"}, "Comma-separated statuses: active, killing, succeeded, failed, killed."),
                               qparam("name", S, "The job name, exactly."), qparam("kind", {"type": "string", "enum": ["service", "batch"]}, "Service or batch."),
                               qparam("limit", {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100}, "Page size."),
                               qparam("cursor", {"type": "string", "pattern": "^[0-9]{1,15}:[0-9a-f-]{1,36}$"}, "The `nextCursor` of the previous page.")],
                "responses": {"200": ok("JobPage"), "400": E400}},
    },
    "/v1/jobs/{jobID}": {"get": {"operationId": "getJob", "summary": "A job with its spec and task counts.", "parameters": [job],
                                 "responses": {"200": ok("JobDetail"), "404": E404}}},
    "/v1/jobs/{jobID}/instances": {"put": {"operationId": "scaleJob", "summary": "Set a service's instance count.", "parameters": [job],
                                           "requestBody": body("ScaleRequest", {"instances": 7}),
                                           "responses": {"200": ok("JobDetail"), "400": E400, "404": E404, "409": E409, "413": E413, "503": E503}}},
    "/v1/jobs/{jobID}/kill": {"post": {"operationId": "killJob", "summary": "Kill a job: waiting tasks end at once, running ones are killed.", "parameters": [job],
                                       "responses": {"202": ok("JobDetail", "The kill is under way (or done)."), "404": E404, "503": E503}}},
    "/v1/jobs/{jobID}/tasks": {"get": {"operationId": "listTasks", "summary": "A job's tasks by instance index.",
                                       "parameters": [job, qparam("state", {"type": "string", "pattern": "^(accepted|launched|startInitiated|started|killInitiated|finished)(,(accepted|launched|startInitiated|started|killInitiated|finished))*$"}, "Comma-separated task states."),
                                                      qparam("limit", {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1000}, "Page size."),
                                                      qparam("cursor", {"type": "string", "pattern": "^[0-9]{1,9}$"}, "The `nextCursor` of the previous page.")],
                                       "responses": {"200": ok("TaskPage"), "400": E400, "404": E404}}},
    "/v1/tasks/{taskID}": {"get": {"operationId": "getTask", "summary": "A task with its pending reason, history and latest usage.", "parameters": [task],
                                   "responses": {"200": ok("TaskDetail"), "404": E404}}},
    "/v1/tasks/{taskID}/kill": {"post": {"operationId": "killTask", "summary": "Kill a task for good (no restart).", "parameters": [task],
                                         "responses": {"202": ok("TaskSummary", "The kill is under way (or done)."), "404": E404, "503": E503}}},
    "/v1/tasks/{taskID}/logs": {"get": {"operationId": "taskLogs", "summary": "A run's output, proxied from its host's agent.",
                                        "parameters": [task, qparam("attempt", {"type": "integer", "minimum": 0, "maximum": 1000000}, "Which attempt; the current one by default."),
                                                       qparam("stream", {"type": "string", "enum": ["stdout", "stderr", "both"]}, "Which output."),
                                                       qparam("follow", {"type": "string", "enum": ["true", "false"]}, "Keep streaming while the run runs."),
                                                       qparam("tail", {"type": "integer", "minimum": 0, "maximum": 1000000}, "Only the last N lines.")],
                                        "responses": {"200": {"description": "The output.", "content": {"text/plain": {"schema": S}}}, "400": E400, "404": E404,
                                                      "502": err("The agent did not answer.")}}},
    "/v1/hosts": {"get": {"operationId": "listHosts", "summary": "Every host, with its task count.", "responses": {"200": ok("HostPage")}}},
    "/v1/hosts/{hostID}": {"get": {"operationId": "getHost", "summary": "A host.", "parameters": [hostp], "responses": {"200": ok("HostSummary"), "404": E404}}},
    "/v1/hosts/{hostID}/disable": {"post": {"operationId": "disableHost", "summary": "Stop placing tasks on a host (running ones stay).", "parameters": [hostp],
                                            "requestBody": {"required": False, "content": {"application/json": {"schema": ref("DisableRequest"), "example": {"forSeconds": 3600}}}},
                                            "responses": {"200": ok("HostSummary"), "400": E400, "404": E404, "413": E413, "503": E503}}},
    "/v1/hosts/{hostID}/enable": {"post": {"operationId": "enableHost", "summary": "Let a host take tasks again.", "parameters": [hostp],
                                           "responses": {"200": ok("HostSummary"), "404": E404, "503": E503}}},
    "/v1/events": {"get": {"operationId": "events", "summary": "Server-sent events: every change, in order; resume with `after` or Last-Event-ID.",
                           "parameters": [qparam("after", {"type": "integer", "minimum": 0, "maximum": 1000000000000}, "Only events with a greater id."),
                                          qparam("follow", {"type": "string", "enum": ["true", "false"], "default": "true"}, "Keep the stream open for new events."),
                                          {"name": "Last-Event-ID", "in": "header", "required": False, "schema": {"type": "string", "pattern": "^[0-9]{1,12}$"}, "description": "As `after`, sent by EventSource clients on reconnect."}],
                           "responses": {"200": {"description": "`id: N`, `event: KIND`, `data: EventRecord JSON` per event.",
                                                 "content": {"text/event-stream": {"schema": S}}}, "400": E400}}},
    "/v1/agents/register": {"post": {"operationId": "registerAgent", "summary": "An agent registers (Docs/agent-protocol.md).",
                                     "requestBody": body("AgentRegistration"), "responses": {"200": ok("AgentDirectives"), "400": E400, "409": err("The host was removed by the autoscaler: register with a new id."), "413": E413, "503": E503}}},
    "/v1/agents/{agentID}/heartbeat": {"post": {"operationId": "agentHeartbeat", "summary": "An agent's heartbeat with what it runs.", "parameters": [agent],
                                                "requestBody": body("AgentHeartbeat"), "responses": {"200": ok("AgentDirectives"), "400": E400, "404": err("Unknown agent: register again."), "413": E413, "503": E503}}},
    "/v1/agents/{agentID}/orders": {"get": {"operationId": "agentOrders", "summary": "Long poll for launch and kill orders; acknowledges up to `after`.", "parameters": [agent,
                                            qparam("after", {"type": "integer", "minimum": 0, "maximum": 1000000000000}, "The highest order carried out."),
                                            qparam("waitSeconds", {"type": "integer", "minimum": 0, "maximum": 60, "default": 20}, "How long to wait for orders.")],
                                            "responses": {"200": ok("AgentOrders"), "400": E400, "404": err("Unknown agent: register again."), "503": E503}}},
    "/v1/agents/{agentID}/status": {"post": {"operationId": "agentStatus", "summary": "Status updates of runs, in order.", "parameters": [agent],
                                             "requestBody": body("AgentStatusBatch"), "responses": {"200": ok("AgentStatusAck"), "400": E400, "404": err("Unknown agent: register again."), "413": E413, "503": E503}}},
    "/v1/agents/{agentID}/usage": {"post": {"operationId": "agentUsage", "summary": "Resource use of running tasks.", "parameters": [agent],
                                            "requestBody": body("AgentUsageReport"), "responses": {"200": ok("AgentStatusAck"), "400": E400, "404": err("Unknown agent: register again."), "413": E413, "503": E503}}},
}
# GET /v1/status, for `titanctl status` (StatusRoutes.swift; FleetStatus in TitanModel/API/FleetStatus.swift).
COUNT = {"type": "integer", "minimum": 0}
amounts = obj({"cpus": {"type": "number", "minimum": 0}, "memoryMB": COUNT, "diskGB": COUNT, "networkMbps": COUNT},
              required=["cpus", "memoryMB", "diskGB", "networkMbps"])
schemas.update({
    "FleetStatus": obj({"at": DT, "hosts": ref("HostCounts"), "capacity": ref("ResourceAmounts"), "used": ref("ResourceAmounts"),
                        "tasks": ref("TaskStateCounts"), "jobsWithLiveTasks": COUNT, "pending": arr(ref("PendingTaskGroup")),
                        "autoscaler": ref("AutoscalerStatus")},
                       required=["at", "hosts", "capacity", "used", "tasks", "jobsWithLiveTasks", "pending", "autoscaler"],
                       desc="`capacity`: what the hosts that are up offer in all; `used`: what the tasks on them hold; `tasks`: every task not finished, by state; "
                            "`pending`: waiting tasks grouped by pending reason, most first, at most 20 groups."),
    "HostCounts": obj({"total": COUNT, "up": COUNT, "down": COUNT, "disabled": COUNT}, required=["total", "up", "down", "disabled"]),
    "ResourceAmounts": amounts,
    "PendingTaskGroup": obj({"reason": S, "taskCount": COUNT, "jobCount": COUNT, "exampleTaskIDs": {**arr(S), "maxItems": 3}},
                            required=["reason", "taskCount", "jobCount", "exampleTaskIDs"]),
    "AutoscalerStatus": obj({"enabled": BOOL, "provider": S, "groups": arr(ref("AutoscalerGroup")), "actions": {**arr(ref("AutoscalerAction")), "maxItems": 50}},
                            required=["enabled", "groups", "actions"],
                            desc="`enabled` is false while titan-api runs no autoscaler (then `groups` and `actions` are empty); "
                                 "`provider` says what carries actions out (`simulated`); `actions` are the latest 50, newest first."),
    "AutoscalerGroup": obj({"group": S, "minIdleHosts": COUNT, "maxIdleHosts": COUNT, "coolDownSeconds": {"type": "number", "minimum": 0},
                            "minHosts": COUNT, "maxHosts": COUNT, "hosts": COUNT, "idle": COUNT, "busy": COUNT, "draining": COUNT,
                            "coming": COUNT, "waitingTasks": COUNT, "hostsNeeded": COUNT},
                           required=["group", "minIdleHosts", "maxIdleHosts", "coolDownSeconds", "minHosts", "maxHosts", "hosts", "idle",
                                     "busy", "draining", "coming", "waitingTasks", "hostsNeeded"],
                           desc="A host group the autoscaler sizes: its rule, and its hosts at the latest evaluation."),
    "AutoscalerAction": obj({"at": DT, "group": S, "direction": {"type": "string", "enum": ["up", "down"]}, "hostCount": COUNT,
                             "hosts": arr(S), "reason": S, "error": S}, required=["at", "group", "direction", "hostCount", "hosts", "reason"],
                            desc="`at`: when it was decided; `hosts`: the hosts removed (empty when scaling up); `error`: the provider's, if it failed."),
})
paths["/v1/status"] = {"get": {"operationId": "fleetStatus",
                               "summary": "The fleet at a glance: hosts, capacity and use, live tasks, pending tasks by reason, autoscaler actions.",
                               "responses": {"200": ok("FleetStatus"), "400": E400}}}

doc = {"openapi": "3.1.0",
       "info": {"title": "Titan API", "version": "1.0.0", "description": "The Titan control plane: jobs, tasks, hosts, events and the agent protocol. See Docs/api.md and Docs/agent-protocol.md."},
       "servers": [{"url": "http://127.0.0.1:8080"}], "paths": paths, "components": {"schemas": schemas}}
open(__import__('os').path.join(__import__('os').path.dirname(__import__('os').path.abspath(__file__)), '..', 'Sources', 'TitanControlPlane', 'HTTP', 'openapi.json'), 'w').write(json.dumps(doc, indent=2, sort_keys=False) + "\n")
