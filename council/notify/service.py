"""Running the worker as a process: `council worker` (delivery, the scheduler and background jobs)."""

from __future__ import annotations

import asyncio
import logging
import signal

from council import db
from council.settings import load_settings


async def serve(once: bool = False) -> int:
    from council.migrations import pending
    from council.notify.worker import Worker

    settings = load_settings()
    db.configure(settings.database_url)
    from council import storage

    storage.configure(settings.file_store)  # job results are kept where the server keeps files
    await db.start()
    try:
        if await pending():
            raise SystemExit("The database is not migrated. Run `council migrate` first.")
        worker = Worker()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # Background jobs (council.jobs) run here too, beside delivery.
        from council.jobs.runner import Runner

        jobs = Runner(settings.upload_dir)
        await asyncio.gather(worker.run(stop, until_idle=once), jobs.run(stop, until_idle=once))
        return worker.sent
    finally:
        await db.stop()


def main(once: bool = False) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request would drown the log
    return asyncio.run(serve(once))
