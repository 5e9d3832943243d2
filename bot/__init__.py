"""heart-bot: the Slack app of the HEART Collective's peer-support community."""

import sys

__version__ = "0.1.0"

# sqlite-utils imports numpy whenever it is installed (matplotlib installs it, for the charts),
# only to map numpy's number types to column types. heart-bot never stores a numpy value, and
# that import was an eighth of the CPU of every start; so sqlite-utils is first imported here,
# before any module of heart-bot, with numpy hidden from it. The charts import numpy as usual.
if "sqlite_utils" not in sys.modules and "numpy" not in sys.modules:
    sys.modules["numpy"] = None  # type: ignore[assignment]  # an import of it raises ImportError
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["numpy"]
