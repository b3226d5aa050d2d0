"""Which roles use which delivery pages (a role outside the list gets 403; an object out of reach 404)."""

from __future__ import annotations

from guopei.orgs.models import Membership

Role = Membership.Role

# Everyone with a stake in a class: every role but the expert.
CLASS_VIEW_ROLES = (Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE, Role.CITY_ADMIN, Role.COUNTY_ADMIN,
                    Role.SCHOOL_ADMIN, Role.INSTITUTION_STAFF, Role.TEACHER)
STAFF_ROLES = (Role.INSTITUTION_STAFF,)
TEACHER_ROLES = (Role.TEACHER,)
# The sending unit's and the regions' view of participation (TRAINEE-1).
PARTICIPATION_ROLES = (Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE, Role.CITY_ADMIN, Role.COUNTY_ADMIN,
                       Role.SCHOOL_ADMIN)
CIRCUMSTANCE_ROLES = (Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.SCHOOL_ADMIN,
                      Role.INSTITUTION_STAFF, Role.TEACHER)
INCIDENT_ROLES = (Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE, Role.CITY_ADMIN, Role.COUNTY_ADMIN,
                  Role.INSTITUTION_STAFF)
PROGRESS_ROLES = (Role.PROVINCE_ADMIN, Role.PROVINCE_FINANCE, Role.CITY_ADMIN, Role.COUNTY_ADMIN,
                  Role.INSTITUTION_STAFF)
NOTICE_ROLES = tuple(Role.values)
