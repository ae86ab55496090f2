from django.urls import path

from . import views

app_name = "integrations"
urlpatterns = [
    path("connections/<int:pk>/connect/", views.oauth_connect, name="oauth_connect"),
    path("oauth/callback/", views.oauth_callback, name="oauth_callback"),
]
