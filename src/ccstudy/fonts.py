"""Where the CJK fonts of figures and PDF reports are (Debian's fonts-noto-cjk), without importing matplotlib.

:func:`cjk_font_file` is called at the start of a render and of every figure; a missing font is a
:class:`FontMissing` error saying how to install it, never empty boxes in a chart or a PDF.
"""

from __future__ import annotations

import os
from pathlib import Path

# Debian's fonts-noto-cjk (scripts/system-deps.sh installs it); CCSTUDY_FONT_DIR adds a folder to search.
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/noto-cjk"),
             Path("/usr/share/fonts/google-noto-cjk"), Path("/usr/local/share/fonts"))
CJK_FONT_FILES = {"sans": "NotoSansCJK-Regular.ttc", "serif": "NotoSerifCJK-Regular.ttc"}
CJK_BOLD_FILE = "NotoSansCJK-Bold.ttc"
LATIN_FONT = "DejaVu Sans"
CJK_FAMILY = "Noto Sans CJK SC"


class FontMissing(RuntimeError):
    """A font the figures or reports need is not installed (the message says how to install it)."""


def font_dirs() -> list[Path]:
    extra = os.environ.get("CCSTUDY_FONT_DIR")
    return ([Path(extra)] if extra else []) + list(FONT_DIRS)


def cjk_font_file(kind: str = "sans") -> Path:
    """Path of the Noto CJK collection (*kind* ``sans`` or ``serif``).

    Raises
    ------
    FontMissing
        Naming the file looked for, the folders searched and the package to install, so a
        missing font stops a figure or report at its start instead of drawing empty boxes.
    """
    name = CJK_FONT_FILES[kind]
    dirs = font_dirs()
    for d in dirs:
        if (d / name).is_file():
            return d / name
    raise FontMissing(
        f"the CJK font {name} was not found in {', '.join(map(str, dirs))}: Chinese text in figures and "
        f"reports needs it. Install it with `scripts/system-deps.sh` (Debian/Ubuntu package fonts-noto-cjk) "
        f"or set CCSTUDY_FONT_DIR to a folder holding {name}.")


