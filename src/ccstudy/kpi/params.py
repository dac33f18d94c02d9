"""Parameters of the contact-level KPI definitions (one frozen dataclass).

Every threshold and option a KPI depends on is a field here, so a study states
which definition it uses (see ``docs/kpi-definitions.md``) and the same values
reach the Ibis expressions, the pandas reference and the hand-written SQL of the
benchmark.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

__all__ = ["KpiParams", "SL_DENOMINATORS", "REPEAT_SCOPES"]

#: Which contacts the service level divides by (see :class:`KpiParams`).
SL_DENOMINATORS: tuple[str, ...] = ("offered", "exclude_short_abandons", "exclude_abandons_within_threshold",
                                    "answered")
#: Which later contacts count as a repeat for FCR.
REPEAT_SCOPES: tuple[str, ...] = ("customer", "customer_queue")


@dataclasses.dataclass(frozen=True, kw_only=True)
class KpiParams:
    """Thresholds and options of the KPI definitions.

    Attributes
    ----------
    short_abandon_sec
        An abandoned contact whose wait (offered -> ended) is shorter than this
        many seconds is a *short abandon* (a misdial or a caller who hung up at
        the greeting).  Default 5 s.
    sl_threshold_sec
        Service-level threshold: answered within this many seconds (inclusive:
        a wait of exactly the threshold is "within").  Default 20 s (80/20).
    sl_denominator
        Which contacts the service level divides by: ``offered`` (every
        offered contact), ``exclude_short_abandons`` (offered minus short
        abandons), ``exclude_abandons_within_threshold`` (offered minus every
        contact abandoned within the threshold), ``answered`` (answered
        contacts only).  Default ``exclude_short_abandons``.
    repeat_window_sec
        FCR window: an answered contact is *not* resolved at first contact when
        the same customer contacts again within this many seconds of its
        offered time (inclusive).  Default 7 days (604 800 s); 86 400 for 24 h.
    repeat_scope
        ``customer`` (a repeat is any later contact of the same customer) or
        ``customer_queue`` (only a later contact to the same queue counts).
    repeat_counts_abandoned
        Whether an abandoned later contact counts as a repeat (default True:
        the customer had to try again).
    csat_top_box_min
        CSAT scores at or above this value count as satisfied (top-2-box on a
        1-5 scale is 4).  Default 4.
    """

    short_abandon_sec: int = 5
    sl_threshold_sec: int = 20
    sl_denominator: Literal["offered", "exclude_short_abandons", "exclude_abandons_within_threshold",
                            "answered"] = "exclude_short_abandons"
    repeat_window_sec: int = 7 * 86400
    repeat_scope: Literal["customer", "customer_queue"] = "customer"
    repeat_counts_abandoned: bool = True
    csat_top_box_min: float = 4

    def __post_init__(self) -> None:
        for name in ("short_abandon_sec", "sl_threshold_sec", "repeat_window_sec"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"KpiParams.{name} must be a whole number of seconds >= 0, got {v!r}")
        if self.sl_denominator not in SL_DENOMINATORS:
            raise ValueError(f"KpiParams.sl_denominator must be one of {', '.join(SL_DENOMINATORS)}; "
                             f"got {self.sl_denominator!r}")
        if self.repeat_scope not in REPEAT_SCOPES:
            raise ValueError(f"KpiParams.repeat_scope must be one of {', '.join(REPEAT_SCOPES)}; "
                             f"got {self.repeat_scope!r}")
        if not isinstance(self.repeat_counts_abandoned, bool):
            raise ValueError(f"KpiParams.repeat_counts_abandoned must be true or false, "
                             f"got {self.repeat_counts_abandoned!r}")

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_mapping(cls, values: dict[str, Any] | None) -> "KpiParams":
        """Build from a params section (unknown keys rejected by name)."""
        values = dict(values or {})
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown KPI option(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
        return cls(**values)
