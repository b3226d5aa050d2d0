"""TENDER-2 under concurrency: two awards at once cannot both pass the IT 2.0 cap (the plan row is locked).

Row locks are a PostgreSQL matter (SQLite serialises every writer anyway), so this runs on PostgreSQL only.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from guopei.orgs.models import Region
from guopei.orgs.tests.factories import InstitutionFactory
from guopei.tenders import services
from guopei.tenders.models import Award

from .factories import OPENING, make_tender, panel, score_all, submit_bid

pytestmark = pytest.mark.django_db(transaction=True)
COUNTIES = ["140105", "140106", "140107", "140108", "140109", "140110"]


def _tender_in_evaluation(it20, admin, county_code, winner, experts):
    tender = make_tender(it20, admin, code=f"IT-{county_code}", county=Region.objects.get(code=county_code),
                         min_valid_bids=1)
    submit_bid(tender, winner, price="40000")
    services.tender_close(tender=tender, actor=admin, now=OPENING)
    seats = panel(tender, admin, experts)
    services.tender_start_evaluation(tender=tender, actor=admin)
    score_all(seats)
    return tender


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are tested on PostgreSQL")
def test_tender2_two_concurrent_awards_cannot_both_pass_the_cap(it20, province_admin, experts):
    for n in range(4):
        tender = _tender_in_evaluation(it20, province_admin, COUNTIES[n], InstitutionFactory(name=f"机构{n}"),
                                       experts)
        services.award_make(tender=tender, actor=province_admin)
    racing = [_tender_in_evaluation(it20, province_admin, COUNTIES[4 + n], InstitutionFactory(name=f"新机构{n}"),
                                    experts) for n in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def award(tender):
        try:
            barrier.wait()
            services.award_make(tender=tender, actor=province_admin)
            outcomes.append("awarded")
        except services.CapExceeded:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=award, args=(t,)) for t in racing]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["awarded", "refused"]
    assert len(services.it20_institutions(it20.plan)) == 5
    assert Award.objects.filter(status="standstill").count() == 5
