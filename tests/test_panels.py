"""Panels: a page shows what other apps registered for it, and leaves out a panel that
has nothing for the person looking."""

import copy

import pytest
from django.urls import reverse

from aidou import panels

pytestmark = pytest.mark.django_db


@pytest.fixture
def panel_templates(settings, tmp_path):
    (tmp_path / "shown.html").write_text('<section id="shown-panel">{{ greeting }} {{ request.user.name }}</section>')
    (tmp_path / "hidden.html").write_text('<section id="hidden-panel">never</section>')
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates
    saved = copy.deepcopy(panels._registry)
    yield
    panels._registry.clear()
    panels._registry.update(saved)


def test_the_annotator_home_shows_registered_panels_that_have_something(client, annotator, panel_templates):
    panels.panel_register(
        panels.ANNOTATOR_HOME, panels.Panel("shown", "shown.html", lambda request: {"greeting": "<b>hi</b>"})
    )
    panels.panel_register(panels.ANNOTATOR_HOME, panels.Panel("hidden", "hidden.html", lambda request: None))
    client.force_login(annotator)
    page = client.get(reverse("annotator-home")).content.decode()
    assert 'id="shown-panel"' in page
    assert "&lt;b&gt;hi&lt;/b&gt; 王秀英" in page  # escaped like any template variable
    assert "hidden-panel" not in page


def test_the_home_page_takes_panels_too(client, hr, panel_templates):
    panels.panel_register(panels.HOME, panels.Panel("shown", "shown.html", lambda request: {"greeting": "hello"}))
    client.force_login(hr)
    assert 'id="shown-panel"' in client.get(reverse("home")).content.decode()
