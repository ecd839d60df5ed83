"""Settings > Profile > Change password: Django's PasswordChangeForm, so the new password
passes every AUTH_PASSWORD_VALIDATORS check, and the member stays signed in."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from .decorators import firm_member_required
from .http import FirmRequest


@sensitive_post_parameters("old_password", "new_password1", "new_password2")
@never_cache
@firm_member_required
def password_change_view(request: FirmRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # The session's hash follows the password; without this the member is signed out.
        update_session_auth_hash(request, user)
        messages.success(request, "Your password was changed.")
        return redirect("settings:index")
    return render(request, "accounts/password_change.html", {"form": form})
