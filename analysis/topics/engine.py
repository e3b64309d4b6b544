"""Where embeddings are computed: in this process (``local``) or on a Ray cluster (``ray``).

LIGHT: a settings object only; the Ray code is in :mod:`analysis.topics.on_ray` (HEAVY).
"""

from __future__ import annotations

from dataclasses import dataclass

from analysis.names import ENGINES
from analysis.schema import InputError


@dataclass(frozen=True)
class Engine:
    """How to embed.

    ``kind`` is local or ray; ``address`` names a running Ray cluster (``auto``,
    ``ray://host:10001``; None starts a private one on this machine); ``batch_size`` is the number
    of texts per model call (None: the backend's default).
    """

    kind: str = "local"
    address: str | None = None
    batch_size: int | None = None

    def __post_init__(self) -> None:
        """Check the values.

        Raises:
            InputError: unknown kind, an address without ray, or a batch size below 1.
        """
        if self.kind not in ENGINES:
            raise InputError(f"unknown engine {self.kind!r}", field="engine",
                             hint=f"use one of: {', '.join(ENGINES)}")
        if self.address and self.kind != "ray":
            raise InputError("--address needs --engine ray", field="address")
        if self.batch_size is not None and self.batch_size < 1:
            raise InputError(f"batch size must be at least 1, not {self.batch_size}",
                             field="batch_size")

    @property
    def is_ray(self) -> bool:
        """True for the Ray engine."""
        return self.kind == "ray"


LOCAL = Engine()
