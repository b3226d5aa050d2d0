"""The tender lifecycle, bids and their validity (TENDER-1 … TENDER-5)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from guopei.core.models import AuditEvent
from guopei.orgs.models import Region
from guopei.tenders import services
from guopei.tenders.models import Bid, Tender, TenderEvent

from .factories import (
    BIDDING,
    DEADLINE,
    OPENING,
    T0,
    default_components,
    make_tender,
    pdf,
    submit_bid,
    tender_input,
)

pytestmark = pytest.mark.django_db
S = Tender.Status


def test_tender1_lot_tender_moves_through_states_with_history(lot, province_admin):
    tender = make_tender(lot, province_admin, publish=False)
    assert tender.status == S.DRAFT
    services.tender_publish(tender=tender, actor=province_admin, now=T0)
    tender.refresh_from_db()
    assert tender.status == S.TENDERING and tender.min_valid_bids == 3 and tender.standstill_days == 3
    steps = list(TenderEvent.objects.filter(tender=tender).order_by("id").values_list("from_status", "to_status"))
    assert steps == [("", "draft"), ("draft", "tendering")]
    assert AuditEvent.objects.filter(action="tenders.tender_tendering", object_id=str(tender.pk)).exists()


def test_tender1_continuing_project_is_not_tendered(continuing, province_admin):
    with pytest.raises(services.TenderError, match="TENDER-1"):
        make_tender(continuing, province_admin)


def test_tender_refused_for_unpublished_plan(province_admin):
    from guopei.plans.tests.factories import make_plan, make_project

    draft = make_plan(province_admin, year=2021)
    project = make_project(draft, province_admin, "X1")
    with pytest.raises(services.TenderError, match="发布"):
        make_tender(project, province_admin)


def test_tender_second_live_tender_for_same_lot_refused(lot, province_admin):
    make_tender(lot, province_admin)
    with pytest.raises(services.TenderError, match="已有进行中"):
        make_tender(lot, province_admin, code="SXZB-2020-002")


def test_tender2_it20_tender_needs_a_county_of_the_project(it20, lot, province_admin):
    with pytest.raises(services.TenderError, match="按项目区县"):
        make_tender(it20, province_admin)
    with pytest.raises(services.TenderError, match="实施县区"):
        make_tender(it20, province_admin, county=Region.objects.get(code="140212"))
    with pytest.raises(services.TenderError, match="其他项目"):
        make_tender(lot, province_admin, county=Region.objects.get(code="140105"))
    tender = make_tender(it20, province_admin, county=Region.objects.get(code="140105"))
    assert tender.region_code == "140105" and "小店区" in tender.lot_label


def test_tender_weights_must_sum_to_100(lot, province_admin):
    with pytest.raises(services.TenderError, match="100"):
        services.tender_create(actor=province_admin, project=lot, data=tender_input(weight_price=50))


def test_publish_refuses_deadline_in_the_past(lot, province_admin):
    tender = make_tender(lot, province_admin, publish=False)
    with pytest.raises(services.TenderError, match="截止时间须晚于"):
        services.tender_publish(tender=tender, actor=province_admin, now=DEADLINE + timedelta(minutes=1))


def test_only_province_admin_runs_tenders(lot, province_admin, finance_officer, staff):
    for actor in (finance_officer, staff):
        with pytest.raises(services.TenderError, match="省教育厅管理员"):
            make_tender(lot, actor)


# --- bids -----------------------------------------------------------------------------------------------
def test_tender3_consortium_bid_with_every_component_assigned(lot, province_admin, institution, staff, remote,
                                                            host_school):
    tender = make_tender(lot, province_admin)
    components = default_components(tender, institution, (remote,), host_school=host_school)
    bid = submit_bid(tender, institution, staff=staff, partners=(remote,), components=components)
    assert bid.is_valid and bid.problems == []
    assert bid.is_consortium
    roles = dict(bid.members.values_list("institution__name", "role"))
    assert roles == {institution.name: "lead", remote.name: "partner"}
    parts = {p.component.kind: p for p in bid.components.select_related("component", "institution")}
    assert parts["workshop"].institution == remote
    assert parts["job_shadowing"].host_school == host_school
    assert set(bid.documents.values_list("kind", flat=True)) == {"price", "technical", "team"}


def test_tender4_workshop_given_to_unlisted_institution_makes_bid_invalid(lot, province_admin, institution, staff):
    tender = make_tender(lot, province_admin)
    bid = submit_bid(tender, institution, staff=staff)
    assert not bid.is_valid
    assert any("TENDER-4" in p and institution.name in p for p in bid.problems)


def test_tender5_hosted_component_needs_a_host(lot, province_admin, institution, staff, remote):
    tender = make_tender(lot, province_admin)
    components = default_components(tender, institution, (remote,))
    shadow = next(pk for pk, c in components.items() if lot.components.get(pk=pk).kind == "job_shadowing")
    components[shadow] = services.ComponentChoice(institution=institution)
    with pytest.raises(services.BidRefused, match="TENDER-5"):
        submit_bid(tender, institution, staff=staff, partners=(remote,), components=components)
    assert not Bid.objects.exists()


def test_tender5_out_of_province_host_by_name(lot, province_admin, institution, staff, remote):
    tender = make_tender(lot, province_admin)
    bid = submit_bid(tender, institution, staff=staff, partners=(remote,))
    part = bid.components.get(component__kind="job_shadowing")
    assert part.host_school is None and part.host_label == "北京市海淀区实验小学（省外）"


def test_every_component_must_be_assigned_to_a_member(lot, province_admin, institution, staff, remote, rivals):
    tender = make_tender(lot, province_admin)
    components = default_components(tender, institution, (remote,))
    components.pop(next(iter(components)))
    with pytest.raises(services.BidRefused, match="尚未指定"):
        submit_bid(tender, institution, staff=staff, partners=(remote,), components=components)
    components = default_components(tender, institution, (remote,))
    first = next(iter(components))
    components[first] = services.ComponentChoice(institution=rivals[0])
    with pytest.raises(services.BidRefused, match="不是本投标的牵头单位或联合体成员"):
        submit_bid(tender, institution, staff=staff, partners=(remote,), components=components)


def test_bid_after_deadline_is_refused(lot, province_admin, institution, staff, remote):
    tender = make_tender(lot, province_admin)
    with pytest.raises(services.BidRefused, match="已过"):
        submit_bid(tender, institution, staff=staff, partners=(remote,), now=DEADLINE + timedelta(seconds=1))
    assert not Bid.objects.exists()


def test_second_bid_by_same_lead_is_refused(lot, province_admin, institution, staff, remote):
    tender = make_tender(lot, province_admin)
    submit_bid(tender, institution, staff=staff, partners=(remote,))
    with pytest.raises(services.BidRefused, match="不能再次投标"):
        submit_bid(tender, institution, staff=staff, partners=(remote,), price="280000")
    assert Bid.objects.count() == 1


def test_institution_in_two_consortia_flags_both_bids(lot, province_admin, institution, staff, remote, rivals):
    tender = make_tender(lot, province_admin)
    first = submit_bid(tender, institution, staff=staff, partners=(remote,))
    assert first.is_valid
    second = submit_bid(tender, rivals[0], partners=(remote,))
    first.refresh_from_db()
    assert not first.is_valid and not second.is_valid
    assert any(remote.name in p and "两份投标均无效" in p for p in first.problems)
    assert any(remote.name in p for p in second.problems)


def test_staff_cannot_bid_for_another_institution(lot, province_admin, staff, rivals):
    tender = make_tender(lot, province_admin)
    with pytest.raises(services.BidRefused, match="本机构"):
        submit_bid(tender, rivals[0], staff=staff)


def test_lead_qualifications_asked_by_the_tender(lot, province_admin, institution, staff, remote):
    tender = make_tender(lot, province_admin, required_lead_kinds=["development"], lead_on_remote_list=True,
                         max_price="250000")
    bid = submit_bid(tender, institution, staff=staff, partners=(remote,))
    text = " ".join(bid.problems)
    assert "教师发展机构" in text and "远程培训机构推荐名单" in text and "最高限价" in text


def test_bid_documents_are_checked_by_content(lot, province_admin, institution, staff, remote):
    import io

    tender = make_tender(lot, province_admin)
    documents = {"price": pdf(), "technical": pdf(), "team": services.Upload(io.BytesIO(b"MZ\x90\x00evil"), "a.pdf")}
    with pytest.raises(services.TenderError, match="Windows 程序"):
        services.bid_submit(tender=tender, actor=staff, lead=institution, partners=[remote],
                            components=default_components(tender, institution, (remote,)), price="1000",
                            documents=documents, now=BIDDING)
    assert not Bid.objects.exists()


def test_close_before_deadline_refused_and_too_few_valid_bids_fail(lot, province_admin, institution, staff, remote):
    tender = make_tender(lot, province_admin)
    submit_bid(tender, institution, staff=staff, partners=(remote,))
    with pytest.raises(services.TenderError, match="未到"):
        services.tender_close(tender=tender, actor=province_admin, now=BIDDING)
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    tender.refresh_from_db()
    assert tender.status == S.FAILED
    assert "有效投标1家" in tender.failure_reason
    history = list(tender.events.order_by("id").values_list("to_status", flat=True))
    assert history == ["draft", "tendering", "qualification", "failed"]


def test_min_valid_bids_is_per_tender(lot, province_admin, institution, staff, remote):
    tender = make_tender(lot, province_admin, min_valid_bids=1)
    submit_bid(tender, institution, staff=staff, partners=(remote,))
    services.tender_close(tender=tender, actor=province_admin, now=OPENING)
    tender.refresh_from_db()
    assert tender.status == S.QUALIFICATION


def test_cancel_needs_a_reason_and_ends_the_tender(lot, province_admin):
    tender = make_tender(lot, province_admin)
    with pytest.raises(services.TenderError, match="终止原因"):
        services.tender_cancel(tender=tender, actor=province_admin, reason="")
    services.tender_cancel(tender=tender, actor=province_admin, reason="funds", note="预算调减")
    tender.refresh_from_db()
    assert tender.status == S.CANCELLED and tender.get_cancel_reason_display() == "经费调整"
    assert "预算调减" in tender.events.order_by("id").last().note
    with pytest.raises(services.TenderError, match="已结束"):
        services.tender_cancel(tender=tender, actor=province_admin, reason="no_demand")
    # A cancelled lot may be tendered again.
    make_tender(lot, province_admin, code="SXZB-2020-009")


def test_protocol_document_upload_checked_and_stored(lot, province_admin):
    tender = make_tender(lot, province_admin)
    document = services.tender_document_add(tender=tender, actor=province_admin, kind="notice", title="招标公告",
                                            upload=pdf("公告.pdf").file, filename="公告.pdf")
    assert document.is_public and document.content_type == "application/pdf"
    assert document.file.name.startswith(f"tenders/{tender.pk}/protocol/")
    import io

    with pytest.raises(services.TenderError):
        services.tender_document_add(tender=tender, actor=province_admin, kind="notice", title="x",
                                     upload=io.BytesIO(b"hello"), filename="x.pdf")

