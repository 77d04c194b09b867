"""The DfE's SSDA903 codes the hub reads, and what older returns' codes become.

Current codes are those of the DfE's 903 guide from 2015/16 on (placement codes) and
2019/20 on (special guardianship reasons). Older returns' codes are mapped as that year's
guide defines them, and the mapping is reported (a notice) so the council can see it.
"""

from __future__ import annotations

# PLACE (placement type), from 2015/16, and the contract's placement types.
PLACE = {
    **{code: "other" for code in ("A3", "A4", "A5", "A6")},  # placed for adoption
    "H5": "semi_independent",  # semi-independent living not regulated as a children's home
    "K1": "childrens_home",  # secure children's home
    "K2": "childrens_home",  # children's home subject to Children's Homes Regulations
    "P1": "other",  # placed with own parents
    "P2": "semi_independent",  # independent living, e.g. a flat or lodgings
    "P3": "other",  # residential employment
    **{code: "other" for code in ("R1", "R2", "R3", "R5")},  # care home, NHS, family centre, YOI
    "S1": "other",  # residential school
    **{code: "other" for code in ("T0", "T1", "T2", "T3", "T4")},  # temporary placements
    **{code: "foster_care" for code in ("U1", "U2", "U3", "U4", "U5", "U6")},
    "Z1": "other",
}
# PLACE codes of returns before 2015/16, the contract's type each is read as, and what
# the code meant. Q1/Q2 became U1-U3/U4-U6; F, H and M codes are as the older guides (and
# Wales's) list them; M1-M3 ("missing") were discontinued, read as "other".
OLD_PLACE = {
    "Q1": ("foster_care", "foster placement with relative or friend (now U1-U3)"),
    "Q2": ("foster_care", "placement with other foster carer (now U4-U6)"),
    **{f"F{n}": ("foster_care", "foster placement (now U1-U6)") for n in range(1, 7)},
    "H1": ("childrens_home", "secure unit inside the council's boundary (now K1)"),
    "H2": ("childrens_home", "secure unit outside the council's boundary (now K1)"),
    "H3": ("childrens_home", "home or hostel inside the council's boundary (now K2)"),
    "H4": ("childrens_home", "home or hostel outside the council's boundary (now K2)"),
    **{f"M{n}": ("other", "missing from placement (discontinued)") for n in range(1, 4)},
}

RNE = {
    "S": "started to be looked after",
    "L": "change of legal status only",
    "P": "change of placement and carer(s) only",
    "T": "change of both legal status and placement",
    "B": "change of placement, same carer(s)",
    "U": "change of legal status and placement, same carer(s)",
}
PLACEMENT_CHANGES = frozenset({"S", "P", "T", "B", "U"})
LS = {
    code: code
    for code in ("C1", "C2", "D1", "E1", "J1", "J2", "J3", "L1", "L2", "L3", "V2", "V3", "V4")
}
REC = {
    code: code
    for code in (
        "E11",
        "E12",
        "E13",
        "E14",
        "E15",
        "E16",
        "E17",
        "E2",
        "E3",
        "E41",
        "E45",
        "E46",
        "E47",
        "E48",
        "E4A",
        "E4B",
        "E5",
        "E6",
        "E7",
        "E8",
        "E9",
        "X1",
    )
}
# REC codes of returns up to 2018/19, kept as given (a period's end reason is text in the
# contract); from 2019/20 each became two codes, split by whether the carers were relatives
# or friends, which the old code does not say.
OLD_REC = {
    "E43": "special guardianship order to former foster carers (now E45 or E46)",
    "E44": "special guardianship order to carers other than former foster carers (now E47 or E48)",
}
OLD_REC_LAST_YEAR = 2019  # the 2018/19 return is the last whose guide lists them
PROVIDER = {
    "PR0": "parent or other person with parental responsibility",
    "PR1": "own local authority",
    "PR2": "other local authority",
    "PR3": "other public provision",
    "PR4": "private provision",
    "PR5": "voluntary or third sector",
}
REASON_PLACE_CHANGE = {
    "ALLEG": "allegation (s47)",
    "APPRR": "approval removed",
    "CARPL": "change to/implementation of care plan",
    "CHILD": "child requests placement end",
    "CLOSE": "resignation/closure of provision",
    "CREQB": "carer(s) requests placement end due to child's behaviour",
    "CREQO": "carer(s) requests placement end other than due to child's behaviour",
    "CUSTOD": "child in custody",
    "LAREQ": "responsible/area authority requests placement end",
    "OTHER": "other",
    "PLACE": "change in the status of placement only",
    "STAND": "standards of care concern",
}
MISSING = {"M": "missing", "A": "away"}
SEX = {"1": "male", "2": "female"}
NO_URN = frozenset({"", "XXXXXXX", "SC999999"})
NO_UPN = frozenset({"UN1", "UN2", "UN3", "UN4", "UN5", "UN6", "UN7", "UN8", "UN9", "UN10"})
