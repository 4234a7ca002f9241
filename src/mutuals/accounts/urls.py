from django.urls import path

from mutuals.accounts import views

urlpatterns = [
    path("sign-in/", views.SignInView.as_view(), name="sign-in"),
    path("sign-out/", views.SignOutView.as_view(), name="sign-out"),
    path("account/", views.account, name="account"),
    path("account/name/", views.change_display_name, name="account-name"),
    path("account/invite/", views.invite, name="invite"),
    path("account/invite/sent/", views.invitation_sent, name="invitation-sent"),
    path("invitation/<str:token>/", views.accept_invitation, name="invitation-accept"),
    path("password-reset/", views.ResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", views.ResetSentView.as_view(), name="password-reset-sent"),
    path(
        "password-reset/<uidb64>/<token>/",
        views.ResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        views.ResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
]
