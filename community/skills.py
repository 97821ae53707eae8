"""The skill vocabulary of the talent network: skills, the 4-level scale and the roles courses target.

Modelled on Japan's デジタルスキル標準 (DX推進スキル標準: roles and skill areas) and the UK DDaT
framework's four levels (awareness → working → practitioner → expert). Kept as code, not a table,
so that it can be replaced by the support domain's published vocabulary once that is on main.
Levels are a person's own view of themselves: shown to them, counted per municipality for training
plans, never ranked and never published with a name.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

SKILLS = {
    "business_change": _l("Business transformation and BPR"),
    "service_design": _l("Service design and UX"),
    "data_use": _l("Data use and EBPM"),
    "ai_use": _l("AI and generative AI"),
    "low_code": _l("No-code, low-code and RPA"),
    "cloud": _l("Cloud and government common platforms"),
    "security": _l("Information security"),
    "it_procurement": _l("IT procurement and contracts"),
    "project_management": _l("Project management"),
    "change_leadership": _l("Leading organisational change"),
}

LEVELS = {
    1: _l("1 — I know what it is"),
    2: _l("2 — I can do it with help"),
    3: _l("3 — I can do it on my own"),
    4: _l("4 — I can teach and lead others"),
}

# The directory lists a skill for a person who rates themself at this level or above ("can help").
DIRECTORY_LEVEL = 3

TARGET_ROLES = {
    "all_staff": _l("All staff"),
    "promoter": _l("DX promoters"),
    "manager": _l("Managers"),
    "business_architect": _l("Business architects"),
    "designer": _l("Designers"),
    "data_scientist": _l("Data scientists"),
    "engineer": _l("Software engineers"),
    "security": _l("Cyber security staff"),
}
