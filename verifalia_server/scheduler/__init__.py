"""The scheduler every node runs: fair, priority-weighted claims of pending entries, fed to the engine."""

from verifalia_server.scheduler.scheduler import Scheduler

__all__ = ["Scheduler"]
