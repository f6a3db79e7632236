from django.urls import path

from childcare import views

urlpatterns = [
    path("", views.guardian_home, name="childcare-home"),
    path("proposals/accept/", views.proposals_accept, name="childcare-proposals-accept"),
    path("bookings/", views.booking_create, name="childcare-book"),
    path("bookings/<int:booking_id>/cancel/", views.booking_cancel, name="childcare-booking-cancel"),
    path("bookings/<int:booking_id>/follow-up/", views.booking_follow_up, name="childcare-booking-follow-up"),
    path("children/new/", views.child_new, name="childcare-child-new"),
    path("children/<int:child_id>/", views.child_detail, name="childcare-child"),
    path("children/<int:child_id>/delete/", views.child_delete, name="childcare-child-delete"),
    path("lead/", views.lead_home, name="childcare-lead"),
    path("tablet/", views.tablet, name="childcare-tablet"),
    path("tablet/<int:booking_id>/check-in/", views.tablet_check_in, name="childcare-check-in"),
    path("tablet/<int:booking_id>/check-out/", views.tablet_check_out, name="childcare-check-out"),
]
