"""Poll feeds in a process of its own and report its peak memory (run by the hostile-feed tests).

    python -m tests.hostile.runner '{"database_url": ..., "feed_ids": [..], "settings": {..},
                                     "private_hosts": ["feeds.hostile.test"]}'

Prints one JSON object: per feed the poll's status, error and seconds; `maxrss_kb` of the
process (peak resident memory, VmHWM). Hosts in `private_hosts` resolve to 10.0.0.1
through an injected resolver, so the SSRF guard must refuse them before any connection.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from sqlmodel import Session

from monitor.db import make_engine
from monitor.feeds.poll import poll_feed
from monitor.netguard import default_resolver
from monitor.settings import Settings


def main(arg: str) -> None:
    """Poll each feed id once; print the outcome and peak RSS as JSON."""
    spec = json.loads(arg)
    settings = Settings(_env_file=None, database_url=spec["database_url"], **spec.get("settings", {}))  # type: ignore[call-arg]
    private = set(spec.get("private_hosts", []))

    def resolver(host: str, port: int) -> list[str]:
        if host in private:
            return ["10.0.0.1"]
        return default_resolver(host, port)

    engine = make_engine(spec["database_url"])
    out: dict[str, object] = {}
    for feed_id in spec["feed_ids"]:
        started = time.monotonic()
        with Session(engine) as session:
            result = poll_feed(session, int(feed_id), settings, resolver=resolver)
        out[str(feed_id)] = {"status": result.status, "error": result.error, "new": len(result.new_ids),
                             "seconds": round(time.monotonic() - started, 2)}
    engine.dispose()
    print(json.dumps({"feeds": out, "maxrss_kb": peak_rss_kb()}))


def peak_rss_kb() -> int:
    """Peak resident memory of this process in kB.

    VmHWM belongs to this process's own address space; ru_maxrss is not enough on Linux
    because it keeps the parent's figure across fork and exec (a large test process would
    hide this one's peak), so it is only the fallback where /proc is absent.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


if __name__ == "__main__":
    main(sys.argv[1])
