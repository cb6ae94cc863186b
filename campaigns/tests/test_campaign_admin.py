"""Staff browse campaigns per owner in the admin; nobody else gets in."""
import pytest

from accounts.tests.factories import UserFactory
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_staff_can_list_add_and_change_campaigns(staff_browser, user):
    campaign = CampaignFactory(owner=user)
    for url in ["/admin/campaigns/campaign/", "/admin/campaigns/campaign/add/",
                f"/admin/campaigns/campaign/{campaign.pk}/change/"]:
        assert staff_browser.get(url).status_code == 200, url


def test_campaigns_are_browsable_per_owner(staff_browser, user, other_user):
    CampaignFactory(owner=user, name="Alpha launch")
    CampaignFactory(owner=other_user, name="Beta launch")
    page = staff_browser.get(f"/admin/campaigns/campaign/?owner__id__exact={user.pk}").content.decode()
    assert "Alpha launch" in page and "Beta launch" not in page
    page = staff_browser.get("/admin/campaigns/campaign/", {"q": other_user.email}).content.decode()
    assert "Beta launch" in page and "Alpha launch" not in page


def test_non_staff_users_are_sent_to_the_login_page(client, user):
    client.force_login(UserFactory(is_staff=False))
    response = client.get("/admin/campaigns/campaign/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    response = client.get("/admin/campaigns/campaign/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
