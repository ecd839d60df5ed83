from playwright.sync_api import expect


def test_member_signs_in_and_sees_the_firms_navigation(sign_in, member, firm) -> None:
    page = sign_in(member)
    expect(page.get_by_role("navigation", name="Main")).to_contain_text(firm.name)
    for section in ("Communications", "Contacts", "Matters", "Calendar", "Billing", "Settings"):
        expect(page.get_by_role("link", name=section, exact=True).first).to_be_visible()


def test_wrong_password_shows_the_error_in_the_browser(live_server, page, member) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(member.email)
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("do not match an account")
