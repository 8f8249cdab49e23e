"""A worker process for tests/test_fuzz.py: reads one JSON request per line on stdin, profiles the file
it names (or the bytes it carries, base64, read as an upload) with ``drift_core.io`` under a 2 GB
address-space limit and a per-input alarm, and answers one JSON line: ``ok``, ``error`` (a
DataFileError, the contract) or ``escape`` (any other exception: the bug the fuzzer looks for). A hang
or a crash shows as no answer (the parent kills and reports)."""

from __future__ import annotations

import base64
import json
import resource
import signal
import sys
import traceback

AS_LIMIT = 2 * 2**30


def main() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (AS_LIMIT, AS_LIMIT))
    from drift_core.io import DataFileError, InMemoryFile, profile_file, read_predictions
    from drift_core.spec import TaskSpec

    print(json.dumps({"outcome": "ready"}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        signal.alarm(int(req.get("timeout", 20)))  # default action: the worker dies, the parent reports a hang
        target = InMemoryFile(req["name"], base64.b64decode(req["data"])) if "data" in req else req["path"]
        try:
            if req["kind"] == "predictions":
                read_predictions(target)
                profile_file(req["data_path"], TaskSpec(req["modality"]), predictions_path=target)
            else:
                profile_file(target, TaskSpec(req["modality"]), sample_size=req.get("sample_size", 1000))
            out = {"outcome": "ok"}
        except DataFileError as e:
            out = {"outcome": "error", "message": str(e)[:300]}
        except BaseException as e:  # noqa: BLE001 - every other exception is what the fuzzer reports
            if isinstance(e, KeyboardInterrupt):
                raise
            out = {"outcome": "escape", "type": type(e).__name__, "message": str(e)[:300],
                   "traceback": "".join(traceback.format_exception(e)[-6:])}
        signal.alarm(0)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
