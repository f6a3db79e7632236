from django.urls import path

from childcare.api import views

urlpatterns = [
    path("childcare/sessions/", views.SessionListView.as_view(), name="childcare-session-list"),
    path("childcare/bookings/", views.BookingListCreateView.as_view(), name="childcare-booking-list"),
    path("childcare/bookings/<int:booking_id>/", views.BookingDetailView.as_view(), name="childcare-booking-detail"),
    path("childcare/bookings/<int:booking_id>/check-in/", views.CheckInView.as_view(), name="childcare-check-in-api"),
    path(
        "childcare/bookings/<int:booking_id>/check-out/", views.CheckOutView.as_view(), name="childcare-check-out-api"
    ),
]
