"""Progress bars for long commands: on a terminal only, silent in pipes and with ``--quiet``."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import Any, TextIO

__all__ = ["ProgressBar"]


def _rich_progress(stream: TextIO) -> Any:
    try:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
        )
    except ImportError:
        return None
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=stream),
        transient=False,
    )


class ProgressBar:
    """A ``(done, total)`` callback that draws a bar on ``stream`` when it is a terminal.

    With ``rich`` installed the bar is rich's; otherwise a plain one-line
    counter redrawn with carriage returns.  When ``stream`` is not a TTY or
    ``enabled`` is False the callback does nothing.
    """

    def __init__(self, description: str, *, enabled: bool = True, stream: TextIO | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled and bool(getattr(self.stream, "isatty", lambda: False)())
        self.description = description
        self._rich: Any = None
        self._task: Any = None
        self._last = 0.0
        self._drawn = False

    def __enter__(self) -> ProgressBar:
        if self.enabled:
            self._rich = _rich_progress(self.stream)
            if self._rich is not None:
                self._rich.start()
                self._task = self._rich.add_task(self.description, total=None)
        return self

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        if self._rich is not None:
            self._rich.update(self._task, completed=done, total=total)
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        pct = 100.0 * done / total if total else 100.0
        self.stream.write(f"\r{self.description} {done}/{total} ({pct:.0f}%)")
        self.stream.flush()
        self._drawn = True

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._rich is not None:
            self._rich.stop()
        elif self._drawn:
            self.stream.write("\n")
            self.stream.flush()
