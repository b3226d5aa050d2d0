"""Who may do what with the teacher database (MGMT-4)."""

from __future__ import annotations

from guopei.orgs.models import Membership

Role = Membership.Role

# Keep the database, import rosters, transfer, keep the reserve pool, select and nominate.
TEACHER_ADMIN_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN})
# See (masked) teacher records: the administrators above, and a school's administrator for their own school.
TEACHER_VIEW_ROLES = TEACHER_ADMIN_ROLES | {Role.SCHOOL_ADMIN}
# Reveal one ID number or phone, or export unmasked: the teacher's county, and the province.
REVEAL_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.COUNTY_ADMIN})
# Set the cycle cap: the province sets it, a city or county may lower it.
CAP_ROLES = TEACHER_ADMIN_ROLES
# Confirm, return and dismiss nominees.
INTAKE_ROLES = frozenset({Role.INSTITUTION_STAFF})
