"""`/public/`: the province's public column of the programme's ten-year results (SUMMARY-2); no login."""

from django.urls import path

from . import public_views

app_name = "public"
urlpatterns = [
    path("", public_views.public_index, name="index"),
    path("cases/<int:pk>/", public_views.public_case, name="case"),
    path("outcomes/<int:pk>/", public_views.public_outcome, name="outcome"),
    path("items/<uuid:public_id>/", public_views.public_material, name="material"),
    path("files/<uuid:public_id>/", public_views.public_file, name="file"),
    path("files/<uuid:public_id>/thumb/", public_views.public_file, {"variant": "thumb"}, name="thumb"),
    path("files/<uuid:public_id>/poster/", public_views.public_file, {"variant": "poster"}, name="poster"),
]
