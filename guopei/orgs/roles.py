"""Role groups and what each role may use (MGMT-1)."""

from __future__ import annotations

from .models import Membership

Role = Membership.Role

PROVINCE_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE})
REGION_ADMIN_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE, Role.CITY_ADMIN, Role.COUNTY_ADMIN})
ACCOUNT_MANAGER_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.SCHOOL_ADMIN})

# Which roles a manager may grant, level by level below their own (MGMT-1: the province guides and supervises,
# each level manages the team of the level below it).
GRANTABLE_ROLES: dict[str, frozenset[str]] = {
    Role.PROVINCE_ADMIN: frozenset(
        {
            Role.PROVINCE_ADMIN,
            Role.PROVINCE_FINANCE,
            Role.CITY_ADMIN,
            Role.COUNTY_ADMIN,
            Role.SCHOOL_ADMIN,
            Role.INSTITUTION_STAFF,
            Role.EXPERT,
        }
    ),
    Role.CITY_ADMIN: frozenset({Role.COUNTY_ADMIN, Role.SCHOOL_ADMIN}),
    Role.COUNTY_ADMIN: frozenset({Role.SCHOOL_ADMIN, Role.TEACHER}),
    Role.SCHOOL_ADMIN: frozenset({Role.TEACHER}),
}
