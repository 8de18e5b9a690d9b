"""Console story queue and story page over real HTTP: the seed's alerts appear as stories; review needs a reason."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from monitor.models import Story
from tests.console.conftest import LiveConsole, csrf_of, signed_in_client


def test_story_queue_and_page(console: LiveConsole) -> None:
    with Session(console.engine) as s:
        stories = s.exec(select(Story).where(Story.alert_count > 0)).all()
    assert stories, "the seed's matched articles were placed into stories"
    story = stories[0]
    with signed_in_client(console, console.seeded.analyst_key) as client:
        queue = client.get("/stories?status=any")
        assert queue.status_code == 200
        assert f'id="story-{story.id}"' in queue.text
        page = client.get(f"/stories/{story.id}")
        assert page.status_code == 200
        assert re.search(r'id="article-\d+"', page.text)
        # a review without a reason is refused and changes nothing
        resp = client.post(f"/stories/{story.id}/review",
                           data={"csrf_token": csrf_of(page.text), "status": "dismissed", "reason": " "})
        assert resp.status_code == 303
        assert client.get("/stories/999999").status_code == 404
    with Session(console.engine) as s:
        again = s.get(Story, story.id)
        assert again is not None and again.status == story.status
