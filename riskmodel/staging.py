"""AJCC 8th edition stage groups for M0 lung cancer, derived from T and N.

Source: AJCC 8th edition lung table (docs/evidence.md#staging-table). T1mi counts as T1a when N is
N1-N3, as it does in the T1 rows of the table.
"""

from __future__ import annotations

# Stage group by fine T category for N0, N1, N2, N3 (in that order).
_TABLE: dict[str, tuple[str, str, str, str]] = {
    "T1mi": ("IA1", "IIB", "IIIA", "IIIB"),
    "T1a": ("IA1", "IIB", "IIIA", "IIIB"),
    "T1b": ("IA2", "IIB", "IIIA", "IIIB"),
    "T1c": ("IA3", "IIB", "IIIA", "IIIB"),
    "T2a": ("IB", "IIB", "IIIA", "IIIB"),
    "T2b": ("IIA", "IIB", "IIIA", "IIIB"),
    "T3": ("IIB", "IIIA", "IIIB", "IIIC"),
    "T4": ("IIIA", "IIIA", "IIIB", "IIIC"),
}
_N_INDEX = {"N0": 0, "N1": 1, "N2": 2, "N3": 3}
_COARSE_T = {"T1": ("T1mi", "T1a", "T1b", "T1c"), "T2": ("T2a", "T2b")}

# Every label a fine stage group can be recorded as (itself, its sub-group, its coarse group).
_LABELS: dict[str, frozenset[str]] = {
    "0": frozenset({"0"}),
    "IA1": frozenset({"IA1", "IA", "I"}),
    "IA2": frozenset({"IA2", "IA", "I"}),
    "IA3": frozenset({"IA3", "IA", "I"}),
    "IB": frozenset({"IB", "I"}),
    "IIA": frozenset({"IIA", "II"}),
    "IIB": frozenset({"IIB", "II"}),
    "IIIA": frozenset({"IIIA", "III"}),
    "IIIB": frozenset({"IIIB", "III"}),
    "IIIC": frozenset({"IIIC", "III"}),
}


def derive_stage(t_category: str | None, n_category: str | None) -> tuple[str, ...]:
    """Return the possible AJCC 8th stage groups for T and N (M0), most often one.

    An empty tuple means the stage cannot be derived (T or N unknown, T0, Tis with nodes).

    Examples
    --------
    >>> derive_stage("T4", "N3")
    ('IIIC',)
    >>> derive_stage("T2", "N0")
    ('IB', 'IIA')
    >>> derive_stage("TX", "N2")
    ()
    """
    if t_category == "Tis" and n_category == "N0":
        return ("0",)
    if n_category not in _N_INDEX:
        return ()
    fine_ts = _COARSE_T.get(t_category or "", (t_category,))
    column = _N_INDEX[n_category]
    groups = {_TABLE[t][column] for t in fine_ts if t in _TABLE}
    return tuple(sorted(groups, key=list(_LABELS).index))


def stage_matches(given: str, derived: tuple[str, ...]) -> bool:
    """Whether a recorded stage (fine or coarse) agrees with any derived group."""
    return any(given in _LABELS[group] for group in derived)


def possible_stages(t_category: str | None, n_category: str | None) -> tuple[str, ...]:
    """Every stage group AJCC 8th allows for T and N when either may be unknown (M0).

    An unknown T (None or TX) or N (None or NX) ranges over every category the table has;
    T0, and Tis with nodes, have no group. An empty tuple means nothing can be said.

    Examples
    --------
    >>> possible_stages("T4", "NX")
    ('IIIA', 'IIIB', 'IIIC')
    >>> possible_stages(None, "N3")
    ('IIIB', 'IIIC')
    """
    ts = (t_category,) if t_category not in (None, "TX") else tuple(_TABLE)
    ns = (n_category,) if n_category not in (None, "NX") else tuple(_N_INDEX)
    groups = {group for t in ts for n in ns for group in derive_stage(t, n)}
    return tuple(sorted(groups, key=list(_LABELS).index))


def describe(derived: tuple[str, ...]) -> str:
    """Human text for stage groups: 'IIIC', 'IB or IIA', 'IIIA, IIIB or IIIC'."""
    if len(derived) < 2:
        return "".join(derived)
    return f"{', '.join(derived[:-1])} or {derived[-1]}"


# The fine T categories of the table's rows, in order; T1mi stages as T1a (same row).
TABLE_T: tuple[str, ...] = tuple(t for t in _TABLE if t != "T1mi")
TABLE_N: tuple[str, ...] = tuple(_N_INDEX)


def cells() -> tuple[tuple[str, str, str], ...]:
    """Every (T, N, stage group) cell of the AJCC 8th M0 table (T1mi folded into T1a).

    Examples
    --------
    >>> len(cells()), cells()[0]
    (28, ('T1a', 'N0', 'IA1'))
    """
    return tuple((t, n, _TABLE[t][i]) for t in TABLE_T for i, n in enumerate(TABLE_N))


def coarse_group(group: str) -> str:
    """The coarse group (I, II, III) of a fine stage group."""
    return group.rstrip("ABC123") if group != "0" else group


def consistent(cell: tuple[str, str, str], t_category: str | None, n_category: str | None,
               stage: str | None, t_equivalent: dict[str, str]) -> bool:
    """Whether a (T, N, group) cell agrees with everything known of T, N and the stage.

    ``t_equivalent`` maps a T outside the table's rows (e.g. T0 with nodes) to the row it
    stages as (a rule of the model spec). An unknown T or N (None, TX, NX) agrees with any.
    """
    t, n, group = cell
    if t_category not in (None, "TX"):
        fine = t_equivalent.get(t_category, "T1a" if t_category == "T1mi" else t_category)
        if t not in _COARSE_T.get(fine, (fine,)):
            return False
    if n_category not in (None, "NX") and n != n_category:
        return False
    return stage is None or stage in _LABELS[group]
