"""The Textual dashboard: `lambdascope analyze` and `lambdascope demo` open it on a terminal."""

from __future__ import annotations
