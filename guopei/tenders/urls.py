from django.urls import path

from . import views

app_name = "tenders"
urlpatterns = [
    path("", views.tender_list, name="tender_list"),
    path("new/", views.tender_create, name="tender_create"),
    path("<int:pk>/", views.tender_detail, name="tender_detail"),
    path("<int:pk>/edit/", views.tender_edit, name="tender_edit"),
    path("<int:pk>/step/<slug:step>/", views.tender_step, name="tender_step"),
    path("<int:pk>/documents/", views.document_add, name="document_add"),
    path("<int:pk>/experts/", views.expert_assign, name="expert_assign"),
    path("<int:pk>/bid/", views.bid_create, name="bid_create"),
    path("<int:pk>/selection/<slug:step>/", views.selection_step, name="selection_step"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("bids/", views.my_bids, name="my_bids"),
    path("bids/<int:pk>/", views.bid_detail, name="bid_detail"),
    path("bids/<int:pk>/disqualify/", views.bid_disqualify, name="bid_disqualify"),
    path("bids/documents/<int:pk>/", views.bid_document_download, name="bid_document_download"),
    path("assignments/", views.assignment_list, name="assignment_list"),
    path("assignments/<int:pk>/", views.assignment_detail, name="assignment_detail"),
    path("awards/", views.award_list, name="award_list"),
    path("awards/<int:pk>/", views.award_detail, name="award_detail"),
    path("awards/<int:pk>/end/", views.award_end, name="award_end"),
    path("awards/<int:pk>/contract/", views.contract_sign, name="contract_sign"),
    path("continuations/<int:project_pk>/", views.continuation_award, name="continuation_award"),
    path("course-plans/", views.course_plan_list, name="course_plan_list"),
    path("course-plans/<int:pk>/", views.course_plan_detail, name="course_plan_detail"),
    path("course-plans/<int:pk>/edit/", views.course_plan_edit, name="course_plan_edit"),
    path("course-plans/<int:pk>/check/", views.course_plan_check, name="course_plan_check"),
    path("course-plans/<int:pk>/review/", views.course_plan_review, name="course_plan_review"),
    path("course-plans/<int:pk>/diff/", views.course_plan_diff, name="course_plan_diff"),
]
