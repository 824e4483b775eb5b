"""Alibaba's own Python SDKs against `fc-local serve`, unmodified: aliyun-fc2 (FC 2.0) and
alibabacloud-fc20230330 (FC 3.0). Run by tests/it/platform.rs with the venv `make sdk`
installs; the gateway fronts tests/it/apps/fc-fn.js as service `svc1`, function `fn1`,
signatures checked with AK/SK, function timeout 2 s.

usage: sdk_session.py HOST:PORT
Prints "ok <step>" per step; exits 1 at the first step that does not hold.
"""
import base64
import json
import sys

import fc2
from alibabacloud_fc20230330 import models
from alibabacloud_fc20230330.client import Client as Fc3Client
from alibabacloud_tea_openapi import models as openapi
from darabonba.runtime import RuntimeOptions

ENDPOINT = sys.argv[1]


def check(step, cond, detail=""):
    if not cond:
        print(f"FAIL {step}: {detail}")
        sys.exit(1)
    print(f"ok {step}")


def fc2_client(secret="SK"):
    return fc2.Client(endpoint=f"http://{ENDPOINT}", accessKeyID="AK", accessKeySecret=secret)


def fc3_client(secret="SK"):
    config = openapi.Config(access_key_id="AK", access_key_secret=secret,
                            endpoint=ENDPOINT, protocol="http")
    return Fc3Client(config)


def fc3_invoke(client, body, function="fn1", **headers):
    req = models.InvokeFunctionRequest(body=body, qualifier=headers.pop("qualifier", None))
    return client.invoke_function_with_options(
        function, req, models.InvokeFunctionHeaders(**headers), RuntimeOptions())


# --- FC 2.0 -------------------------------------------------------------------------------
c = fc2_client()
r = c.invoke_function("svc1", "fn1", payload=b"hello", headers={"x-fc-log-type": "Tail"})
check("fc2 sync", r.data.startswith(b"echo:hello instance:c-"), r.data)
rid = r.headers["x-fc-request-id"]
log = base64.b64decode(r.headers["x-fc-log-result"]).decode()
check("fc2 tail", f"FC Invoke Start RequestId: {rid}" in log and "handling hello" in log, log)

r = c.invoke_function("svc1", "fn1", payload=b"q", qualifier="prod")
check("fc2 qualifier", r.data.endswith(b"qualifier:prod"), r.data)

try:
    c.invoke_function("svc1", "fn1", payload=b"fail")
    check("fc2 function error", False, "no FcError raised")
except fc2.fc_exceptions.FcError as e:
    body = json.loads(e.message)
    check("fc2 function error", body.get("errorMessage") == "boom: fail", e.message)

try:
    c.invoke_function("svc1", "nope", payload=b"x")
    check("fc2 unknown function", False, "no FcError raised")
except fc2.fc_exceptions.FcError as e:
    check("fc2 unknown function", (e.status_code, e.err_code) == (404, "FunctionNotFound"),
          (e.status_code, e.err_code))

r = c.invoke_function("svc1", "fn1", payload=b"fc2-async", headers={"x-fc-invocation-type": "Async"})
check("fc2 async", r.headers.get("x-fc-request-id") and r.data == b"", r.headers)

try:
    fc2_client("WRONG").invoke_function("svc1", "fn1", payload=b"x")
    check("fc2 bad signature", False, "no FcError raised")
except fc2.fc_exceptions.FcError as e:
    check("fc2 bad signature", (e.status_code, e.err_code) == (403, "SignatureNotMatch"),
          (e.status_code, e.err_code))

# --- FC 3.0 -------------------------------------------------------------------------------
c3 = fc3_client()
r = fc3_invoke(c3, b"hello3", x_fc_log_type="Tail", qualifier="my alias")
out = r.body.read()
check("fc3 sync", r.status_code == 200 and out.startswith(b"echo:hello3 "), (r.status_code, out))
check("fc3 qualifier", out.endswith(b"qualifier:my alias"), out)
log = base64.b64decode(r.headers["x-fc-log-result"]).decode()
check("fc3 tail", "handling hello3" in log, log)
check("fc3 instance id", r.headers.get("x-fc-instance-id", "").startswith("c-"), r.headers)

r = fc3_invoke(c3, b"fail")
out = r.body.read()
check("fc3 function error",
      r.headers.get("x-fc-error-type") == "UnhandledInvocationError"
      and json.loads(out)["errorMessage"] == "boom: fail", (r.headers, out))

r = fc3_invoke(c3, b"sleep:3000")
out = json.loads(r.body.read())
check("fc3 timeout",
      r.headers.get("x-fc-error-type") == "UnhandledInvocationError"
      and out["Code"] == "FunctionTimeout" and "timed out after 2 seconds" in out["Message"], out)

r = fc3_invoke(c3, b"fc3-async", x_fc_invocation_type="Async", x_fc_async_task_id="task-42")
check("fc3 async", r.status_code == 202 and r.headers.get("x-fc-async-task-id") == "task-42",
      (r.status_code, r.headers))

try:
    fc3_invoke(c3, b"x", function="nope")
    check("fc3 unknown function", False, "no exception")
except Exception as e:  # the Tea SDK's ClientException
    check("fc3 unknown function", (e.status_code, e.code) == (404, "FunctionNotFound"),
          repr(e))

try:
    fc3_invoke(fc3_client("WRONG"), b"x")
    check("fc3 bad signature", False, "no exception")
except Exception as e:
    check("fc3 bad signature", (e.status_code, e.code) == (403, "SignatureNotMatch"), repr(e))

print("all steps passed")
