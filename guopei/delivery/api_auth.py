"""Token authentication in one statement, for the seat endpoints of the opening rush (MGMT-3).

The API's token authentication reads the token and its user, and the role check then reads the user's memberships
with their regions, schools and institutions: two statements whose ORM compilation cost more than the seat request
itself (docs/performance.md, 选学抢报). This reads the token, the user and the active memberships in one statement and
caches the memberships on the user, where `guopei.orgs.scoping.active_memberships` looks first, so `HasRole` and
every scoping helper see the same memberships without another query (related regions, schools and institutions load
on access). Everything else is the API's (`guopei.api.authentication.ExpiringTokenAuthentication`): the header
parsing, the messages, the 401 with `WWW-Authenticate: Token`, the token's lifetime.
The statement goes through the seat statements' cursor, so it is kept prepared where those are.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.db import connection
from django.utils.translation import gettext_lazy as _
from drf_spectacular.drainage import set_override
from rest_framework import exceptions
from rest_framework.authtoken.models import Token

from guopei.api.authentication import ExpiringTokenAuthentication
from guopei.orgs.models import Membership, User

from .seats import prepared_cursor


@cache
def _statement() -> tuple[str, list[str], list[str], list[str]]:
    parts = []
    names: list[list[str]] = []
    for alias, model in (("tk", Token), ("u", User), ("m", Membership)):
        names.append([f.attname for f in model._meta.concrete_fields])
        parts += [f"{alias}.{connection.ops.quote_name(str(f.column))}" for f in model._meta.concrete_fields]
    sql = f"""
SELECT {", ".join(parts)}
FROM {Token._meta.db_table} tk JOIN {User._meta.db_table} u ON u.id = tk.user_id
LEFT JOIN {Membership._meta.db_table} m ON m.user_id = u.id AND m.is_active
WHERE tk.key = %s
ORDER BY m.role, m.id
"""  # noqa: S608 (table and column names from the models; the key is a parameter)
    return sql, *names  # type: ignore[return-value]


class OneStatementTokenAuthentication(ExpiringTokenAuthentication):
    """`Authorization: Token <key>`: the user and their active memberships in one statement; a token past
    `API_TOKEN_TTL_HOURS` is refused as everywhere else."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        sql, token_fields, user_fields, membership_fields = _statement()
        with prepared_cursor() as cursor:
            cursor.execute(sql, [key])
            rows = cursor.fetchall()
        if not rows:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        db = connection.alias
        split = len(token_fields), len(token_fields) + len(user_fields)
        token = Token.from_db(db, token_fields, rows[0][:split[0]])
        user = User.from_db(db, user_fields, rows[0][split[0]:split[1]])
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        self.check_lifetime(token)  # after the user, in the order of the default authentication
        user._guopei_memberships = [  # type: ignore[attr-defined]
            Membership.from_db(db, membership_fields, row[split[1]:]) for row in rows if row[split[1]] is not None]
        token.user = user
        return user, token


# The same "tokenAuth" scheme in the API schema as the default authentication (same header, same tokens).
set_override(OneStatementTokenAuthentication, "suppress_collision_warning", True)
