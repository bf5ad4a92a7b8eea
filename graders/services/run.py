"""Run one service until SIGTERM, and record where it listens: ``python -m graders.services.run NAME STATE DATA_DIR``.

Started detached by :func:`graders.services.registry.connect`; the state file appears only once the service answers.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import threading
from pathlib import Path

from .registry import service_class


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("name")
    p.add_argument("state_file")
    p.add_argument("data_dir")
    p.add_argument("--module")
    args = p.parse_args(argv)
    cls = service_class(args.name, args.module)
    service = cls.for_workspace(Path(args.data_dir))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    service.start()
    try:
        state = Path(args.state_file)
        tmp = state.with_suffix(".tmp")
        tmp.write_text(json.dumps({"pid": os.getpid(), "url": service.url, "info": service.info()}), encoding="utf-8")
        tmp.replace(state)
        stop.wait()
    finally:
        service.stop()
        Path(args.state_file).unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
