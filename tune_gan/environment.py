"""The environment settings Ray and Tune read, in one place.

Entry points call :func:`configure` before they import Ray: Ray reads ``RAY_AUTH_MODE`` on import, and a
process that imported Ray without it must not set it afterwards (the Ray it starts would then expect a token
its driver does not send). A variable the user has set is left as it is.
"""

from __future__ import annotations

import os

RAY_SETTINGS = {
    # Token authentication stays on, also when joining a cluster by host:port, where Ray would otherwise assume
    # it off; the token comes from ~/.ray/auth_token or $RAY_AUTH_TOKEN.
    "RAY_AUTH_MODE": "token",
    # Tune saves which checkpoint each trial is at every 10 s or more by default; a driver killed in between would
    # leave its trials to redo the epochs checkpointed since. Every second keeps that window short.
    "TUNE_GLOBAL_CHECKPOINT_S": "1",
    # Under --verbose, Tune's classic progress table, whose columns we choose (tune_gan.console.PROGRESS_COLUMNS);
    # the newer one shows the first few keys of a result, whatever they are.
    "RAY_AIR_NEW_OUTPUT": "0",
}


def configure() -> None:
    for name, value in RAY_SETTINGS.items():
        os.environ.setdefault(name, value)
