"""``papertrend stars import``: star histories from files, no network (issue 10, item 3).

Fixtures (tests/coderepos/fixtures): ``lab__tool-stargazers.json`` in the shape GitHub's
stargazers list has with ``Accept: application/vnd.github.star+json``; ``stars.csv``
rows ``owner/name,date,stars``; ``papers.jsonl`` two papers in the Kaggle snapshot
format whose abstracts link keploy/keploy and example-lab/small-tool. The real
keploy/keploy history is read from ../shared/data when it is there.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from papertrend.coderepos.models import PaperRepository, Repository, StarSnapshot
from papertrend.coderepos.starfiles import STARGAZERS_JSON, STARS_CSV, sniff
from papertrend.papers.formats import UnknownFormat, detect
from papertrend.papers.models import Paper
from papertrend.trending.models import TrendingScore

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
STARGAZERS = FIXTURES / "lab__tool-stargazers.json"
CSV = FIXTURES / "stars.csv"
PAPERS = FIXTURES / "papers.jsonl"
KEPLOY_PAPER = "2203.01234"
SMALL_TOOL_PAPER = "2309.04321"


def day_end(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.max.time(), tzinfo=UTC).replace(
        microsecond=0
    )


def stars_import(*args: str) -> str:
    out = StringIO()
    call_command("stars", "import", *args, stdout=out, stderr=out)
    return out.getvalue()


def failing_import(*args: str) -> tuple[CommandError, str]:
    out = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("stars", "import", *args, stdout=out, stderr=out)
    return caught.value, out.getvalue()


def history(key: str) -> list[tuple[datetime, int]]:
    return list(
        StarSnapshot.objects.filter(repository__key=key)
        .order_by("observed_at")
        .values_list("observed_at", "stars")
    )


# --- the two formats ---------------------------------------------------------------------


def test_stargazers_json_becomes_daily_cumulative_snapshots() -> None:
    output = stars_import(str(STARGAZERS))
    repo = Repository.objects.get()
    assert (repo.key, repo.owner, repo.name) == ("github.com/lab/tool", "lab", "tool")
    # 2 stars on 09-20, 1 on 09-22, 3 on 09-29 (one at 23:59), 1 just after midnight.
    assert history(repo.key) == [
        (day_end("2024-09-20"), 2),
        (day_end("2024-09-22"), 3),
        (day_end("2024-09-29"), 6),
        (day_end("2024-09-30"), 7),
    ]
    assert set(repo.snapshots.values_list("source", flat=True)) == {StarSnapshot.HISTORY}
    repo.refresh_from_db()
    assert repo.stars == 7  # never fetched from GitHub: the newest imported count
    assert "rows read 7, skipped 0" in output and "new 4" in output


def test_csv_rows_by_day_or_time_and_repository_urls() -> None:
    stars_import(str(CSV))
    assert history("github.com/example-lab/small-tool") == [
        (day_end("2024-09-17"), 100),
        (day_end("2024-09-18"), 150),
        (day_end("2024-09-24"), 400),
        (day_end("2024-09-26"), 410),
        (day_end("2024-10-02"), 450),
    ]
    widget = Repository.objects.get(key="github.com/other/widget")
    assert (widget.owner, widget.name) == ("Other", "Widget")  # the case first written
    assert history(widget.key) == [
        (datetime(2024, 10, 1, 12, tzinfo=UTC), 7),
        (day_end("2024-10-02"), 9),
    ]


def test_reimport_changes_nothing_and_a_changed_count_updates(tmp_path: Path) -> None:
    stars_import(str(STARGAZERS), str(CSV))
    rows = sorted(StarSnapshot.objects.values_list("repository__key", "observed_at", "stars"))
    again = stars_import(str(STARGAZERS), str(CSV))
    assert "new 0, updated 0, unchanged 11" in again
    assert sorted(StarSnapshot.objects.values_list("repository__key", "observed_at", "stars")) == (
        rows
    )
    assert Repository.objects.count() == 3
    changed = tmp_path / "changed.csv"
    changed.write_text(CSV.read_text().replace("2024-10-02,450", "2024-10-02,455"))
    assert "new 0, updated 1, unchanged 6" in stars_import(str(changed))
    assert history("github.com/example-lab/small-tool")[-1] == (day_end("2024-10-02"), 455)


# --- bad input ---------------------------------------------------------------------------


def test_bad_csv_rows_are_reported_by_line_and_the_rest_loads(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "repo,date,stars\n"
        "lab/ok,2024-10-01,5\n"
        "lab/ok,2024-13-01,6\n"
        "lab/ok,2024-10-02,-3\n"
        "lab/ok,2024-10-03\n"
        "not a repo,2024-10-03,4\n"
        "lab/ok,2024-10-01,8\n"
        "lab/ok,2024-10-04,9\n"
    )
    error, output = failing_import(str(bad))
    assert error.returncode == 3
    for line, why in [
        (3, "not a date"),
        (4, "stars is not a count"),
        (5, "expected 3 columns"),
        (6, "not a repository"),
        (7, "8 stars contradicts line 2"),
    ]:
        assert f"skipped {bad}:{line}: {why}" in output
    assert "rows read 7, skipped 5" in output
    assert history("github.com/lab/ok") == [(day_end("2024-10-01"), 5), (day_end("2024-10-04"), 9)]
    # --allow-skipped: the same run, exit 0 (what `serve --load` uses).
    assert "unchanged 2" in stars_import(str(bad), "--allow-skipped")


def test_bad_stargazer_elements_are_reported_by_line(tmp_path: Path) -> None:
    bad = tmp_path / "export.json"
    bad.write_text(
        "[\n"
        '  {"starred_at": "2024-10-01T10:00:00Z", "username": "a"},\n'
        '  {"username": "b"},\n'
        '  {"starred_at": "yesterday", "username": "c"},\n'
        '  {"starred_at": "2024-10-01T11:00:00Z", "username": "A"},\n'
        '  {"starred_at": "2024-10-02T11:00:00", "username": "e"},\n'
        '  {"starred_at": "2024-10-02T11:00:00Z", "username": "d"}\n'
        "]\n"
    )
    error, output = failing_import(f"lab/json={bad}")
    assert error.returncode == 3
    assert f"{bad}:3: element without a starred_at" in output
    assert f"{bad}:4: bad starred_at 'yesterday'" in output
    assert f"{bad}:5: user 'A' listed twice" in output
    assert f"{bad}:6: starred_at without a time zone" in output
    assert history("github.com/lab/json") == [
        (day_end("2024-10-01"), 1),
        (day_end("2024-10-02"), 2),
    ]


def test_a_stargazers_file_must_say_whose_stars_it_lists(tmp_path: Path) -> None:
    # Named like the real export (keploy-stargazers.json lists keploy/keploy's stars):
    # the file name is not a repository, so nothing is guessed from it.
    unnamed = tmp_path / "tool-stargazers.json"
    shutil.copy(STARGAZERS, unnamed)
    error, output = failing_import(str(unnamed))
    assert error.returncode == 3
    assert f"skipped {unnamed}: a stargazers file does not say whose stars" in output
    assert "--repo OWNER/NAME" in output
    assert not Repository.objects.exists()
    stars_import(str(unnamed), "--repo", "https://github.com/lab/tool")
    assert history("github.com/lab/tool")[-1] == (day_end("2024-09-30"), 7)
    with pytest.raises(CommandError, match="--repo wants OWNER/NAME"):
        stars_import(str(unnamed), "--repo", "not a repository")


def test_files_of_other_formats_are_refused_whole(tmp_path: Path) -> None:
    _, output = failing_import(str(PAPERS), str(CSV))
    assert f"skipped {PAPERS}: not a star history" in output
    assert Repository.objects.filter(key="github.com/example-lab/small-tool").exists()


# --- repositories and papers -------------------------------------------------------------


def test_stars_join_a_repository_already_linked_to_a_paper() -> None:
    paper = Paper.objects.create(key="2309.04321", arxiv_id="2309.04321", title="t", title_key="t")
    repo = Repository.objects.create(
        host="github.com",
        owner="Example-Lab",
        name="Small-Tool",
        key="github.com/example-lab/small-tool",
    )
    PaperRepository.objects.create(paper=paper, repository=repo, found_in="abstract")
    repo.stars, repo.fetched_at = 999, datetime(2024, 10, 5, tzinfo=UTC)
    repo.save()
    stars_import(str(CSV))
    repo.refresh_from_db()
    assert (repo.owner, repo.name) == ("Example-Lab", "Small-Tool")
    assert repo.stars == 999  # a live count is never overwritten by a file
    assert [r.pk for r in paper.repositories.all()] == [repo.pk]
    assert repo.snapshots.count() == 5
    assert Repository.objects.count() == 2  # plus Other/Widget, created


def test_ingest_names_the_star_import_for_star_files() -> None:
    assert (sniff(STARGAZERS), sniff(CSV), sniff(PAPERS)) == (STARGAZERS_JSON, STARS_CSV, None)
    for path in (STARGAZERS, CSV):
        with pytest.raises(UnknownFormat) as caught:
            detect(path)
        assert "papertrend stars import" in caught.value.reason
        assert caught.value.auxiliary  # passed over silently inside a folder


# --- serve --load ------------------------------------------------------------------------


def serve_load(*loads: str) -> str:
    out = StringIO()
    args = [a for load in loads for a in ("--load", load)]
    call_command("serve", "--prepare-only", "--no-fetch", *args, stdout=out, stderr=out)
    return out.getvalue()


def test_serve_load_sends_star_files_to_the_star_import() -> None:
    output = serve_load(str(PAPERS), str(CSV), f"lab/tool={STARGAZERS}")
    assert "cannot tell the format" not in output
    assert "new 2" in output and "skipped 0" in output
    assert Paper.objects.count() == 2
    assert StarSnapshot.objects.count() == 11
    small_tool = Paper.objects.get(key=SMALL_TOOL_PAPER).repositories.get()
    assert small_tool.snapshots.count() == 5
    assert TrendingScore.objects.filter(paper__key=SMALL_TOOL_PAPER).count() == 3


def test_serve_load_of_a_folder_loads_papers_and_stars(tmp_path: Path) -> None:
    for path in (PAPERS, CSV, STARGAZERS):
        shutil.copy(path, tmp_path / path.name)
    output = serve_load(str(tmp_path))
    assert "new 2" in output and "skipped 0" in output  # the star files are not papers
    assert StarSnapshot.objects.count() == 11


# --- the real keploy/keploy history --------------------------------------------------------


@pytest.fixture
def keploy_file(shared_data: Path) -> Path:
    path = shared_data / "github" / "keploy-stargazers.json"
    if not path.is_file():
        pytest.skip(f"{path} is absent (see ../shared/data/SOURCES.md)")
    return path


def starred_days(path: Path) -> Counter[str]:
    return Counter(item["starred_at"][:10] for item in json.loads(path.read_text()))


def test_real_keploy_history_imports_offline(keploy_file: Path) -> None:
    assert sniff(keploy_file) == STARGAZERS_JSON
    output = stars_import(f"keploy/keploy={keploy_file}")
    assert "rows read 6889, skipped 0" in output
    repo = Repository.objects.get()
    assert repo.key == "github.com/keploy/keploy"  # not keploy/keploy-stargazers
    rows = dict(history(repo.key))
    assert len(rows) == len(starred_days(keploy_file))
    assert max(rows.values()) == rows[day_end("2025-03-26")] == 6889
    assert rows[day_end("2024-10-01")] - rows[day_end("2024-09-30")] == 397
    assert rows[day_end("2024-10-02")] - rows[day_end("2024-10-01")] == 210
    assert "new 0, updated 0" in stars_import(f"keploy/keploy={keploy_file}")


def week_scores(now: str) -> dict[str, TrendingScore]:
    call_command("trending", "compute", "--now", now, stdout=StringIO())
    rows = TrendingScore.objects.filter(window=TrendingScore.WEEK).select_related("paper")
    return {row.paper.key: row for row in rows}


def page_order(client: Client) -> list[str]:
    """The two fixture papers in the order the week's trending page lists them."""
    html = client.get("/?window=week").content.decode()
    return sorted((KEPLOY_PAPER, SMALL_TOOL_PAPER), key=lambda k: html.index(f'"/papers/{k}"'))


def test_keploy_paper_trends_in_the_week_of_its_burst(keploy_file: Path, client: Client) -> None:
    call_command("ingest", str(PAPERS), "--no-index", "--no-progress", stdout=StringIO())
    keploy = Paper.objects.get(key=KEPLOY_PAPER).repositories.get()
    assert keploy.key == "github.com/keploy/keploy"
    stars_import(f"keploy/keploy={keploy_file}", str(CSV))
    days = starred_days(keploy_file)

    # The week of 2024-09-26 .. 2024-10-02 holds the burst (397 + 210 stars).
    scores = week_scores("2024-10-03T00:00:00Z")
    in_week = sum(n for day, n in days.items() if "2024-09-26" <= day <= "2024-10-02")
    assert 397 + 210 <= scores[KEPLOY_PAPER].stars_gained <= in_week
    assert scores[SMALL_TOOL_PAPER].stars_gained == 40
    assert scores[KEPLOY_PAPER].score > scores[SMALL_TOOL_PAPER].score
    assert page_order(client) == [KEPLOY_PAPER, SMALL_TOOL_PAPER]
    # A ranking for an old date says so, and its sparkline ends then too (not today).
    html = client.get("/?window=week").content.decode()
    assert "This ranking was computed for" in html and "3 October 2024, 00:00 UTC" in html
    assert "at most 397 a day" in html

    # A quiet week before it: the small tool's 250 new stars lead.
    scores = week_scores("2024-09-25T00:00:00Z")
    quiet = sum(n for day, n in days.items() if "2024-09-18" <= day <= "2024-09-24")
    assert scores[KEPLOY_PAPER].stars_gained <= quiet < 50
    assert scores[SMALL_TOOL_PAPER].stars_gained == 250
    assert page_order(client) == [SMALL_TOOL_PAPER, KEPLOY_PAPER]

    # The day of the burst itself.
    call_command("trending", "compute", "--now", "2024-10-01T23:59:59Z", stdout=StringIO())
    day = TrendingScore.objects.get(window=TrendingScore.DAY, paper__key=KEPLOY_PAPER)
    assert 397 <= day.stars_gained <= 397 + days["2024-09-30"]


# --- the trending page without star data -------------------------------------------------


def test_trending_page_says_when_no_repository_has_star_data(client: Client) -> None:
    call_command("ingest", str(PAPERS), "--no-index", "--no-progress", stdout=StringIO())
    note = "No star counts have been collected for the papers' code yet"
    for computed in (False, True):
        if computed:
            call_command("trending", "compute", stdout=StringIO())
        html = client.get("/").content.decode()
        assert note in html
        assert (
            "papertrend" not in html.split(note, 1)[1].split("</p>", 1)[0]
        )  # readers: no commands
    staff = get_user_model().objects.create_user("op", is_staff=True)
    client.force_login(staff)
    html = client.get("/").content.decode()
    assert "<code>papertrend stars import OWNER/NAME=FILE</code>" in html
    assert "<code>papertrend trending compute</code>" in html

    stars_import(str(CSV))
    call_command("trending", "compute", stdout=StringIO())
    assert note not in client.get("/").content.decode()
