from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("new/", views.plan_create, name="plan_create"),
    path("<int:pk>/", views.plan_detail, name="plan_detail"),
    path("<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("<int:pk>/workflow/<slug:step>/", views.plan_workflow, name="plan_workflow"),
    path("<int:pk>/history/", views.plan_history, name="plan_history"),
    path("<int:pk>/documents/", views.document_add, name="document_add"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
    path("<int:pk>/projects/new/", views.project_create, name="project_create"),
    path("<int:pk>/import/", views.plan_import, name="plan_import"),
    path("<int:pk>/import/template.xlsx", views.import_template, name="import_template"),
    path("<int:pk>/export.xlsx", views.plan_export_xlsx, name="plan_export_xlsx"),
    path("<int:pk>/export.pdf", views.plan_export_pdf, name="plan_export_pdf"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.project_edit, name="project_edit"),
    path("projects/<int:pk>/delete/", views.project_delete, name="project_delete"),
    path("projects/<int:pk>/allocations/", views.allocation_save, name="allocation_save"),
    path("allocations/", views.allocation_list, name="allocation_list"),
    path("categories/", views.category_list, name="category_list"),
    path("counties/", views.project_county_list, name="project_county_list"),
    path("counties/template.xlsx", views.county_template, name="county_template"),
    path("counties/import/", views.county_import, name="county_import"),
    path("funds/", views.funds_overview, name="funds_overview"),
    path("funds/export.xlsx", views.funds_export, name="funds_export"),
    path("funds/projects/<int:pk>/", views.project_funds, name="project_funds"),
    path("funds/projects/<int:pk>/commitments/", views.commitment_add, name="commitment_add"),
    path("funds/projects/<int:pk>/payments/", views.payment_add, name="payment_add"),
    path("payments/<int:pk>/attachment/", views.payment_attachment, name="payment_attachment"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
