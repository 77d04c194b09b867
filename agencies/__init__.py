"""Agency adapters: turn what each agency's systems export into contract events on NATS.

Public face::

    publish_lines(url, agency, lines) -> PublishReport   publish JSON events as an agency would
"""

from __future__ import annotations

from agencies.publisher import PublishReport, publish_lines

__all__ = ["PublishReport", "publish_lines"]
