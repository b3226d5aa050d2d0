"""Every write to organisations, accounts and memberships (MGMT-1, MGMT-2).

Each function is keyword-only, runs in one transaction, validates the row and writes an audit event. Who may
do what follows the tiers of the programme: the province manages everything; a city its counties' and schools'
administrators; a county its schools' administrators and teachers; a school administrator the teachers of the
school (guopei.orgs.roles.GRANTABLE_ROLES). A target outside the manager's region is refused with a coded error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from guopei.core.audit import audit_record

from .models import DevelopmentCentre, Expert, Institution, Membership, Region, School, User
from .roles import GRANTABLE_ROLES, PROVINCE_ROLES
from .scoping import active_memberships, code_within, has_role, memberships_with, user_covers_region

Role = Membership.Role

PROVINCE_CODE = "140000"

# Who may create and edit schools and county development centres: the education administrators of each tier.
# The finance officer reads organisations but does not edit them.
ORG_EDITOR_ROLES = frozenset({Role.PROVINCE_ADMIN, Role.CITY_ADMIN, Role.COUNTY_ADMIN})

# --- Error codes and their messages (the tests import the codes) ------------------------------------------
NOT_ALLOWED = "orgs.not_allowed"
REGION_OUT_OF_REACH = "orgs.region_out_of_reach"
COUNTY_REQUIRED = "orgs.county_required"
SCHOOL_CODE_INVALID = "orgs.school_code_invalid"
SCHOOL_CODE_TAKEN = "orgs.school_code_taken"
NAME_REQUIRED = "orgs.name_required"
INSTITUTION_NAME_TAKEN = "orgs.institution_name_taken"
INSTITUTION_REGION_REQUIRED = "orgs.institution_region_required"
INSTITUTION_REGION_OUTSIDE = "orgs.institution_region_outside"
REMOTE_SINCE_REQUIRED = "orgs.remote_since_required"
REMOTE_SINCE_WITHOUT_LIST = "orgs.remote_since_without_list"
REMOTE_SINCE_RANGE = "orgs.remote_since_range"
EXPERT_USER_NOT_EXPERT = "orgs.expert_user_not_expert"
EXPERT_USER_TAKEN = "orgs.expert_user_taken"
ROLE_UNKNOWN = "orgs.role_unknown"
ROLE_NOT_GRANTABLE = "orgs.role_not_grantable"
PLACE_OUT_OF_REACH = "orgs.place_out_of_reach"
ROLE_NEEDS_SCHOOL = "orgs.role_needs_school"
ROLE_NEEDS_INSTITUTION = "orgs.role_needs_institution"
ROLE_NEEDS_CITY = "orgs.role_needs_city"
ROLE_NEEDS_COUNTY = "orgs.role_needs_county"
MEMBERSHIP_EXISTS = "orgs.membership_exists"
USERNAME_INVALID = "orgs.username_invalid"
USERNAME_TAKEN = "orgs.username_taken"
FULL_NAME_REQUIRED = "orgs.full_name_required"
PASSWORD_INVALID = "orgs.password_invalid"  # noqa: S105 (an error code, not a password)
ACCOUNT_NOT_MANAGED = "orgs.account_not_managed"
ACCOUNT_IS_SELF = "orgs.account_is_self"

MESSAGES: dict[str, str] = {
    NOT_ALLOWED: "您的角色不能执行此操作。",
    REGION_OUT_OF_REACH: "所选县区不在您的管辖范围内。",
    COUNTY_REQUIRED: "请选择县（市、区）。",
    SCHOOL_CODE_INVALID: "学校标识码应为10位数字。",
    SCHOOL_CODE_TAKEN: "该学校标识码已被其他学校使用。",
    NAME_REQUIRED: "请填写名称。",
    INSTITUTION_NAME_TAKEN: "已有同名的培训机构。",
    INSTITUTION_REGION_REQUIRED: "省内机构须选择所在地。",
    INSTITUTION_REGION_OUTSIDE: "省外机构不选择省内所在地。",
    REMOTE_SINCE_REQUIRED: "列入远程培训机构推荐名单的机构须填写列入年份。",
    REMOTE_SINCE_WITHOUT_LIST: "未列入推荐名单的机构不能填写列入年份。",
    REMOTE_SINCE_RANGE: "列入年份应在2000年至今年之间。",
    EXPERT_USER_NOT_EXPERT: "关联的账号须拥有“评审专家”角色。",
    EXPERT_USER_TAKEN: "该账号已关联其他专家。",
    ROLE_UNKNOWN: "未知的角色。",
    ROLE_NOT_GRANTABLE: "您无权授予该角色：每一级只能管理其下级的账号。",
    PLACE_OUT_OF_REACH: "所选区域、学校或机构不在您的管辖范围内。",
    ROLE_NEEDS_SCHOOL: "学校管理员和教师须选择所在学校。",
    ROLE_NEEDS_INSTITUTION: "培训机构人员须选择所在机构。",
    ROLE_NEEDS_CITY: "市级管理员须选择一个市。",
    ROLE_NEEDS_COUNTY: "县级管理员须选择一个县（市、区）。",
    MEMBERSHIP_EXISTS: "该账号已拥有这一角色。",
    USERNAME_INVALID: "用户名只能包含字母、数字和 @ . + - _，最长150个字符。",
    USERNAME_TAKEN: "该用户名已被使用。",
    FULL_NAME_REQUIRED: "请填写姓名。",
    PASSWORD_INVALID: "密码不符合要求。",
    ACCOUNT_NOT_MANAGED: "您无权管理该账号：它拥有您的级别不能管理的角色或不在您的管辖范围内。",
    ACCOUNT_IS_SELF: "不能对自己的账号执行此操作。",
}


class OrgsError(ValidationError):
    """A management rule refused the change; `code` says which one, the message says it in Chinese."""

    def __init__(self, code: str, message: str | None = None) -> None:
        super().__init__(message or MESSAGES[code], code=code)


# --- Reach ---------------------------------------------------------------------------------------------------


def _acting_role(actor: Any, roles: Iterable[str]) -> str:
    wanted = set(roles)
    for membership in active_memberships(actor):
        if membership.role in wanted:
            return membership.role
    return ""


def _require_role(actor: Any, roles: Iterable[str]) -> str:
    role = _acting_role(actor, roles)
    if not role:
        raise OrgsError(NOT_ALLOWED)
    return role


def _require_region_reach(actor: Any, code: str, roles: Iterable[str] = ORG_EDITOR_ROLES) -> None:
    if not user_covers_region(actor, code, roles):
        raise OrgsError(REGION_OUT_OF_REACH)


def _require_county(region: Region | None) -> Region:
    if region is None or region.level not in {Region.Level.COUNTY, Region.Level.ZONE}:
        raise OrgsError(COUNTY_REQUIRED)
    return region


def _changes(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set `values` on `obj`; return {field: [old, new]} for the fields that changed, for the audit trail."""
    changed: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [_plain(old), _plain(new)]
            setattr(obj, field, new)
    return changed


def _others(qs: QuerySet[Any], exclude_pk: int | None) -> QuerySet[Any]:
    """The rows of `qs` other than the one being edited."""
    return qs if exclude_pk is None else qs.exclude(pk=exclude_pk)


def _plain(value: Any) -> Any:
    if isinstance(value, Region | School | Institution | User):
        return str(value.pk)
    return value


# --- Schools and kindergartens ---------------------------------------------------------------------------


def _check_school_code(code: str, *, exclude_pk: int | None = None) -> None:
    if len(code) != 10 or not code.isdigit():
        raise OrgsError(SCHOOL_CODE_INVALID)
    if _others(School.objects.filter(code=code), exclude_pk).exists():
        raise OrgsError(SCHOOL_CODE_TAKEN)


@transaction.atomic
def school_create(
    *,
    actor: Any,
    name: str,
    code: str,
    county: Region,
    kind: str,
    location: str,
    is_public: bool = True,
    is_demo: bool = False,
) -> School:
    """Add a school or kindergarten in a county the actor administers (MGMT-2: school tier under the county)."""
    role = _require_role(actor, ORG_EDITOR_ROLES)
    county = _require_county(county)
    _require_region_reach(actor, county.code)
    name, code = name.strip(), code.strip()
    if not name:
        raise OrgsError(NAME_REQUIRED)
    _check_school_code(code)
    school = School(
        name=name, code=code, county=county, kind=kind, location=location, is_public=is_public, is_demo=is_demo
    )
    school.full_clean()
    try:
        with transaction.atomic():
            school.save()
    except IntegrityError:  # another request took the code between the check and the insert
        raise OrgsError(SCHOOL_CODE_TAKEN) from None
    audit_record(
        actor=actor,
        role=role,
        action="orgs.school_create",
        obj=school,
        detail={"name": name, "code": code, "kind": kind, "location": location, "is_public": is_public},
    )
    return school


@transaction.atomic
def school_update(
    *,
    actor: Any,
    school: School,
    name: str,
    code: str,
    county: Region,
    kind: str,
    location: str,
    is_public: bool,
) -> School:
    """Change a school's details; both its current and its new county must lie in the actor's reach."""
    role = _require_role(actor, ORG_EDITOR_ROLES)
    county = _require_county(county)
    _require_region_reach(actor, school.county_id)
    _require_region_reach(actor, county.code)
    name, code = name.strip(), code.strip()
    if not name:
        raise OrgsError(NAME_REQUIRED)
    _check_school_code(code, exclude_pk=school.pk)
    old_region = school.region_code
    changed = _changes(
        school,
        {"name": name, "code": code, "county": county, "kind": kind, "location": location, "is_public": is_public},
    )
    if not changed:
        return school
    school.full_clean()
    school.save(update_fields=[*changed, "region_code", "updated_at"])
    audit_record(
        actor=actor,
        role=role,
        action="orgs.school_update",
        obj=school,
        detail={"changed": changed, "from_region": old_region},
    )
    return school


# --- Training institutions -------------------------------------------------------------------------------


def _check_institution(
    *,
    name: str,
    in_province: bool,
    region: Region | None,
    on_remote_list: bool,
    remote_list_since: int | None,
    exclude_pk: int | None = None,
) -> None:
    """Refuse an inconsistent institution: where it is, and whether and since when it is on the remote list."""
    if not name:
        raise OrgsError(NAME_REQUIRED)
    if _others(Institution.objects.filter(name=name), exclude_pk).exists():
        raise OrgsError(INSTITUTION_NAME_TAKEN)
    if in_province and region is None:
        raise OrgsError(INSTITUTION_REGION_REQUIRED)
    if not in_province and region is not None:
        raise OrgsError(INSTITUTION_REGION_OUTSIDE)
    if on_remote_list and remote_list_since is None:
        raise OrgsError(REMOTE_SINCE_REQUIRED)
    if not on_remote_list and remote_list_since is not None:
        raise OrgsError(REMOTE_SINCE_WITHOUT_LIST)
    if remote_list_since is not None and not 2000 <= remote_list_since <= timezone.localdate().year:
        raise OrgsError(REMOTE_SINCE_RANGE)


@transaction.atomic
def institution_create(
    *,
    actor: Any,
    name: str,
    kind: str,
    in_province: bool,
    region: Region | None = None,
    on_remote_list: bool = False,
    remote_list_since: int | None = None,
    credit_code: str = "",
    contact: str = "",
    is_demo: bool = False,
) -> Institution:
    """Add a training institution to the directory (province only).

    The remote-list flag and year feed TENDER-4: only listed remote institutions may run the workshop component.
    """
    role = _require_role(actor, [Role.PROVINCE_ADMIN])
    name = name.strip()
    _check_institution(
        name=name,
        in_province=in_province,
        region=region,
        on_remote_list=on_remote_list,
        remote_list_since=remote_list_since,
    )
    institution = Institution(
        name=name,
        kind=kind,
        in_province=in_province,
        region=region,
        on_remote_list=on_remote_list,
        remote_list_since=remote_list_since,
        credit_code=credit_code.strip(),
        contact=contact.strip(),
        is_demo=is_demo,
    )
    institution.full_clean()
    institution.save()
    audit_record(
        actor=actor,
        role=role,
        action="orgs.institution_create",
        obj=institution,
        detail={
            "name": name,
            "kind": kind,
            "in_province": in_province,
            "on_remote_list": on_remote_list,
            "remote_list_since": remote_list_since,
        },
    )
    return institution


@transaction.atomic
def institution_update(
    *,
    actor: Any,
    institution: Institution,
    name: str,
    kind: str,
    in_province: bool,
    region: Region | None,
    on_remote_list: bool,
    remote_list_since: int | None,
    credit_code: str = "",
    contact: str = "",
) -> Institution:
    """Change an institution's details, including its place on the remote-training list (province only)."""
    role = _require_role(actor, [Role.PROVINCE_ADMIN])
    name = name.strip()
    _check_institution(
        name=name,
        in_province=in_province,
        region=region,
        on_remote_list=on_remote_list,
        remote_list_since=remote_list_since,
        exclude_pk=institution.pk,
    )
    changed = _changes(
        institution,
        {
            "name": name,
            "kind": kind,
            "in_province": in_province,
            "region": region,
            "on_remote_list": on_remote_list,
            "remote_list_since": remote_list_since,
            "credit_code": credit_code.strip(),
            "contact": contact.strip(),
        },
    )
    if not changed:
        return institution
    institution.full_clean()
    institution.save(update_fields=[*changed, "region_code", "updated_at"])
    audit_record(actor=actor, role=role, action="orgs.institution_update", obj=institution,
                 detail={"changed": changed})
    return institution


# --- County teacher-development centres ------------------------------------------------------------------


@transaction.atomic
def development_centre_upsert(*, actor: Any, county: Region, name: str, director: str = "") -> DevelopmentCentre:
    """Record or update a county's teacher-development centre (MGMT-2, PLAN-4: co-implementer in project counties)."""
    role = _require_role(actor, ORG_EDITOR_ROLES)
    county = _require_county(county)
    _require_region_reach(actor, county.code)
    name, director = name.strip(), director.strip()
    if not name:
        raise OrgsError(NAME_REQUIRED)
    centre = DevelopmentCentre.objects.select_for_update().filter(county=county).first()
    if centre is None:
        centre = DevelopmentCentre(county=county, name=name, director=director)
        centre.full_clean()
        centre.save()
        audit_record(actor=actor, role=role, action="orgs.development_centre_create", obj=centre,
                     detail={"name": name, "director": director})
        return centre
    changed = _changes(centre, {"name": name, "director": director})
    if changed:
        centre.full_clean()
        centre.save(update_fields=[*changed, "updated_at"])
        audit_record(actor=actor, role=role, action="orgs.development_centre_update", obj=centre,
                     detail={"changed": changed})
    return centre


# --- The expert pool ---------------------------------------------------------------------------------------


def _check_expert_user(user: User | None, *, exclude_pk: int | None = None) -> None:
    if user is None:
        return
    if not user.memberships.filter(role=Role.EXPERT, is_active=True).exists():
        raise OrgsError(EXPERT_USER_NOT_EXPERT)
    if _others(Expert.objects.filter(user=user), exclude_pk).exists():
        raise OrgsError(EXPERT_USER_TAKEN)


@transaction.atomic
def expert_create(
    *,
    actor: Any,
    name: str,
    employer: str,
    field: str = "",
    title: str = "",
    institutions: Iterable[Institution] = (),
    user: User | None = None,
    is_active: bool = True,
    is_demo: bool = False,
) -> Expert:
    """Add an expert to the province's pool, with the institutions they have a conflict of interest with."""
    role = _require_role(actor, [Role.PROVINCE_ADMIN])
    name, employer = name.strip(), employer.strip()
    if not name or not employer:
        raise OrgsError(NAME_REQUIRED)
    _check_expert_user(user)
    expert = Expert(name=name, employer=employer, field=field.strip(), title=title.strip(), user=user,
                    is_active=is_active, is_demo=is_demo)
    expert.full_clean()
    expert.save()
    linked = list(institutions)
    expert.institutions.set(linked)
    audit_record(
        actor=actor,
        role=role,
        action="orgs.expert_create",
        obj=expert,
        detail={"name": name, "employer": employer, "institutions": sorted(i.pk for i in linked),
                "user": user.pk if user else None},
    )
    return expert


@transaction.atomic
def expert_update(
    *,
    actor: Any,
    expert: Expert,
    name: str,
    employer: str,
    field: str,
    title: str,
    institutions: Iterable[Institution],
    user: User | None,
    is_active: bool,
) -> Expert:
    """Change an expert's entry; the conflict-of-interest links are replaced by `institutions`."""
    role = _require_role(actor, [Role.PROVINCE_ADMIN])
    name, employer = name.strip(), employer.strip()
    if not name or not employer:
        raise OrgsError(NAME_REQUIRED)
    _check_expert_user(user, exclude_pk=expert.pk)
    changed = _changes(
        expert,
        {"name": name, "employer": employer, "field": field.strip(), "title": title.strip(), "user": user,
         "is_active": is_active},
    )
    new_links = sorted(i.pk for i in institutions)
    old_links = sorted(expert.institutions.values_list("pk", flat=True))
    if new_links != old_links:
        changed["institutions"] = [old_links, new_links]
        expert.institutions.set(new_links)
    if not changed:
        return expert
    expert.full_clean()
    expert.save(update_fields=[*(f for f in changed if f != "institutions"), "updated_at"])
    audit_record(actor=actor, role=role, action="orgs.expert_update", obj=expert, detail={"changed": changed})
    return expert


# --- Accounts and memberships (MGMT-1, MGMT-2) -----------------------------------------------------------


def _reaches(manager: Membership, *, region_code: str, school: School | None) -> bool:
    """Whether one of the actor's manager memberships reaches a place: a school admin reaches only their school."""
    if manager.role == Role.SCHOOL_ADMIN:
        return school is not None and school.pk == manager.school_id
    return code_within(region_code, manager.region_code)


def _granting_role(actor: Any, *, role: str, region_code: str, school: School | None) -> str:
    """The actor's role that allows granting `role` at this place, or "" when none does.

    MGMT-1: the province guides every level; each level manages the team of the level below it, in its region.
    """
    for manager in memberships_with(actor, GRANTABLE_ROLES):
        if role in GRANTABLE_ROLES[manager.role] and _reaches(manager, region_code=region_code, school=school):
            return manager.role
    return ""


def can_manage_membership(actor: Any, membership: Membership) -> bool:
    """Whether the actor may grant (and so revoke) this membership."""
    return bool(
        _granting_role(actor, role=membership.role, region_code=membership.region_code, school=membership.school)
    )


def can_manage_account(actor: Any, user: User) -> bool:
    """Whether the actor may act on the whole account: every role it holds must be one the actor manages.

    A county administrator may disable a teacher of their county, not a person who is also a city administrator.
    Only the province manages an account without any membership.
    """
    if not getattr(actor, "is_authenticated", False) or actor.pk == user.pk:
        return False
    memberships = list(user.memberships.select_related("school"))
    relevant = [m for m in memberships if m.is_active] or memberships
    if not relevant:
        return has_role(actor, Role.PROVINCE_ADMIN)
    return all(can_manage_membership(actor, m) for m in relevant)


def _require_account(actor: Any, user: User) -> None:
    if getattr(actor, "pk", None) == user.pk:
        raise OrgsError(ACCOUNT_IS_SELF)
    if not can_manage_account(actor, user):
        raise OrgsError(ACCOUNT_NOT_MANAGED)


def grantable_roles_for(actor: Any) -> list[str]:
    """The roles the actor may grant somewhere, in the order Membership.Role lists them."""
    allowed: set[str] = set()
    for manager in memberships_with(actor, GRANTABLE_ROLES):
        allowed |= GRANTABLE_ROLES[manager.role]
    return [value for value in Role.values if value in allowed]


def _resolve_place(
    *, role: str, region: Region | None, school: School | None, institution: Institution | None
) -> tuple[Region, School | None, Institution | None]:
    """Work out where a membership of `role` sits, refusing a place that does not fit the role."""
    if role not in Role.values:
        raise OrgsError(ROLE_UNKNOWN)
    if role in {Role.SCHOOL_ADMIN, Role.TEACHER}:
        if school is None:
            raise OrgsError(ROLE_NEEDS_SCHOOL)
        return school.county, school, None
    if role == Role.INSTITUTION_STAFF:
        if institution is None:
            raise OrgsError(ROLE_NEEDS_INSTITUTION)
        return institution.region or Region.objects.get(code=PROVINCE_CODE), None, institution
    if role in PROVINCE_ROLES or role == Role.EXPERT:
        return Region.objects.get(code=PROVINCE_CODE), None, None
    if role == Role.CITY_ADMIN:
        if region is None or region.level != Region.Level.CITY:
            raise OrgsError(ROLE_NEEDS_CITY)
        return region, None, None
    if region is None or region.level not in {Region.Level.COUNTY, Region.Level.ZONE}:
        raise OrgsError(ROLE_NEEDS_COUNTY)
    return region, None, None


def _check_grant(
    actor: Any, *, role: str, region: Region | None, school: School | None, institution: Institution | None
) -> tuple[str, Region, School | None, Institution | None]:
    if role not in grantable_roles_for(actor):
        raise OrgsError(ROLE_NOT_GRANTABLE)
    region, school, institution = _resolve_place(role=role, region=region, school=school, institution=institution)
    granting = _granting_role(actor, role=role, region_code=region.code, school=school)
    if not granting:
        raise OrgsError(PLACE_OUT_OF_REACH)
    return granting, region, school, institution


def _grant(
    *, user: User, role: str, region: Region, school: School | None, institution: Institution | None
) -> tuple[Membership, bool]:
    """Create the membership, or reactivate a revoked one; refuse one the user already holds."""
    existing = Membership.objects.filter(
        user=user, role=role, region=region, school=school, institution=institution
    ).first()
    if existing is not None:
        if existing.is_active:
            raise OrgsError(MEMBERSHIP_EXISTS)
        existing.is_active = True
        existing.save(update_fields=["is_active", "updated_at"])
        return existing, False
    membership = Membership(user=user, role=role, region=region, school=school, institution=institution)
    membership.full_clean()
    membership.save()
    return membership, True


def _membership_detail(membership: Membership) -> dict[str, Any]:
    return {
        "user": membership.user_id,
        "username": membership.user.username,
        "role": membership.role,
        "region_code": membership.region_code,
        "school": membership.school_id,
        "institution": membership.institution_id,
    }


def _validate_password(password: str, user: User) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise OrgsError(PASSWORD_INVALID, "密码不符合要求：" + "".join(exc.messages)) from None


@transaction.atomic
def account_create(
    *,
    actor: Any,
    username: str,
    full_name: str,
    password: str,
    role: str,
    region: Region | None = None,
    school: School | None = None,
    institution: Institution | None = None,
    is_demo: bool = False,
) -> User:
    """Open an account with one membership that the actor may grant (MGMT-1, MGMT-2).

    The initial password must pass the platform's validators (at least 12 characters, not common, not numeric).
    """
    granting, region, school, institution = _check_grant(
        actor, role=role, region=region, school=school, institution=institution
    )
    username, full_name = username.strip(), full_name.strip()
    try:
        User.username_validator(username)
    except ValidationError:
        raise OrgsError(USERNAME_INVALID) from None
    if not username or len(username) > 150:
        raise OrgsError(USERNAME_INVALID)
    if User.objects.filter(username__iexact=username).exists():
        raise OrgsError(USERNAME_TAKEN)
    if not full_name:
        raise OrgsError(FULL_NAME_REQUIRED)
    user = User(username=username, full_name=full_name, is_demo=is_demo)
    _validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # another request took the username between the check and the insert
        raise OrgsError(USERNAME_TAKEN) from None
    membership, _ = _grant(user=user, role=role, region=region, school=school, institution=institution)
    audit_record(
        actor=actor,
        role=granting,
        action="orgs.account_create",
        obj=user,
        region_code=region.code,
        detail={"full_name": full_name, **_membership_detail(membership)},
    )
    return user


@transaction.atomic
def membership_grant(
    *,
    actor: Any,
    user: User,
    role: str,
    region: Region | None = None,
    school: School | None = None,
    institution: Institution | None = None,
) -> Membership:
    """Give an account the actor manages one more role (one person may hold several)."""
    granting, region, school, institution = _check_grant(
        actor, role=role, region=region, school=school, institution=institution
    )
    _require_account(actor, user)
    membership, created = _grant(user=user, role=role, region=region, school=school, institution=institution)
    audit_record(
        actor=actor,
        role=granting,
        action="orgs.membership_grant",
        obj=membership,
        detail={**_membership_detail(membership), "reactivated": not created},
    )
    return membership


@transaction.atomic
def membership_revoke(*, actor: Any, membership: Membership) -> Membership:
    """End a role the actor could have granted; the row stays (inactive) as the record that it was held."""
    if getattr(actor, "pk", None) == membership.user_id:
        raise OrgsError(ACCOUNT_IS_SELF)
    granting = _granting_role(actor, role=membership.role, region_code=membership.region_code,
                              school=membership.school)
    if not granting:
        raise OrgsError(ACCOUNT_NOT_MANAGED)
    if not membership.is_active:
        return membership
    membership.is_active = False
    membership.save(update_fields=["is_active", "updated_at"])
    audit_record(actor=actor, role=granting, action="orgs.membership_revoke", obj=membership,
                 detail=_membership_detail(membership))
    return membership


def _account_region(user: User) -> str:
    codes = sorted({m.region_code for m in user.memberships.all()})
    return codes[0] if len(codes) == 1 else ""


def _account_role(actor: Any, user: User) -> str:
    for membership in user.memberships.select_related("school"):
        granting = _granting_role(actor, role=membership.role, region_code=membership.region_code,
                                  school=membership.school)
        if granting:
            return granting
    return _acting_role(actor, [Role.PROVINCE_ADMIN])


@transaction.atomic
def account_disable(*, actor: Any, user: User, reason: str = "") -> User:
    """Disable an account the actor manages.

    Its open sessions end with it: on every request Django's ModelBackend refuses an inactive user, so the next
    page the person opens sends them to the login page.
    """
    _require_account(actor, user)
    if not user.is_active:
        return user
    user.is_active = False
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, role=_account_role(actor, user), action="orgs.account_disable", obj=user,
                 region_code=_account_region(user), detail={"username": user.username, "reason": reason.strip()})
    return user


@transaction.atomic
def account_enable(*, actor: Any, user: User) -> User:
    """Enable a disabled account the actor manages."""
    _require_account(actor, user)
    if user.is_active:
        return user
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(actor=actor, role=_account_role(actor, user), action="orgs.account_enable", obj=user,
                 region_code=_account_region(user), detail={"username": user.username})
    return user


@transaction.atomic
def account_reset_password(*, actor: Any, user: User, password: str) -> User:
    """Set a new password for an account the actor manages; the account's open sessions stop being valid.

    Django ties each session to a hash of the password, so changing it signs the person out everywhere.
    """
    _require_account(actor, user)
    _validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit_record(actor=actor, role=_account_role(actor, user), action="orgs.account_reset_password", obj=user,
                 region_code=_account_region(user), detail={"username": user.username})
    return user
