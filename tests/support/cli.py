"""Running `papertrends` as a real process in tests: its environment and a runner."""

from __future__ import annotations

import os
import subprocess

from tests.support.paths import REPO


def cli_env(**extra: str) -> dict[str, str]:
    """The test's environment for a fetch process: a closed endpoint, no token, not offline.

    huggingface_hub refuses every request while HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set,
    as the test run sets it; no token saved on this machine is read.
    """
    drop = ("HF_TOKEN", "HF_ENDPOINT", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(HF_ENDPOINT="http://127.0.0.1:9", NO_PROXY="127.0.0.1,localhost",
               PYTHONUNBUFFERED="1", COLUMNS="120",
               HF_TOKEN_PATH="/nonexistent/papertrends-test-token")
    env.update(extra)
    assert env["HF_ENDPOINT"].startswith("http://127.0.0.1:")
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120):
    """Run a command line from the repository root; its completed process (text output)."""
    return subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=timeout)
