"""Papers with Code import: dump files in their published schemas linked to stored papers.

Our own fixtures are written here in the dumps' exact schemas (links-between-papers-
and-code, papers-with-abstracts) as a JSON array, gzipped JSON and JSON lines; the
real evaluation-tables files come from ../shared/data/pwc (skipped when absent).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from papertrend.coderepos import pwc_files
from papertrend.coderepos.models import PaperRepository
from papertrend.coderepos.pwc import import_files
from papertrend.papers.ingest import ingest_records
from papertrend.papers.models import Paper
from papertrend.papers.records import KAGGLE, TRENDING_PAGE, PaperRecord

pytestmark = pytest.mark.django_db

EVALUATION_TABLES = Path(__file__).resolve().parents[2] / "../shared/data/pwc/evaluation-tables"


def store(title: str, arxiv_id: str | None = None, abstract: str = "") -> Paper:
    """A paper stored the way papertrend stores them: through ingest."""
    fmt = KAGGLE if arxiv_id else TRENDING_PAGE
    ingest_records([PaperRecord(fmt, "seed line 1", title, arxiv_id=arxiv_id, abstract=abstract)])
    if arxiv_id:
        return Paper.objects.get(arxiv_id=arxiv_id)
    return Paper.objects.get(arxiv_id__isnull=True, title=title)


def link_row(title: str, repo: str, arxiv_id: str | None = None, **extra: object) -> dict:
    """One row of links-between-papers-and-code.json, every field of the dump."""
    row = {
        "paper_url": f"https://paperswithcode.com/paper/{title.lower().replace(' ', '-')[:40]}",
        "paper_title": title,
        "paper_arxiv_id": arxiv_id,
        "paper_url_abs": f"https://arxiv.org/abs/{arxiv_id}v2" if arxiv_id else None,
        "paper_url_pdf": f"https://arxiv.org/pdf/{arxiv_id}v2.pdf" if arxiv_id else None,
        "repo_url": repo,
        "is_official": True,
        "mentioned_in_paper": True,
        "mentioned_in_github": False,
        "framework": "pytorch",
    }
    row.update(extra)
    return row


def write(path: Path, rows: list[dict], packaging: str) -> Path:
    if packaging == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n\n" for r in rows), encoding="utf-8")
    elif packaging == "json.gz":
        path.write_bytes(gzip.compress(json.dumps(rows, indent=1).encode()))
    else:
        path.write_text(json.dumps(rows), encoding="utf-8")
    return path


def links_of(paper: Paper) -> set[tuple[str, str, bool | None, str]]:
    return {
        (link.repository.key, link.found_in, link.is_official, link.framework)
        for link in PaperRepository.objects.filter(paper=paper).select_related("repository")
    }


@pytest.mark.parametrize("packaging", ["json", "json.gz", "jsonl"])
def test_links_file_links_by_arxiv_id_title_and_fuzzy_title(tmp_path, packaging):
    by_id = store("Deep Residual Learning", "2401.00001")
    cased = store("BERT: Pre-Training of Deep Bidirectional Transformers!")
    tex = store("\u03b1-Stable Diffusion Models for Images")  # the Greek letter itself
    fuzzy = store("Learning to Rank with Nonsmooth Cost Functions")
    title_only_with_id = store("Graph Attention Networks Revisited")
    other_id = store("A Paper Stored Under Its Own Identifier", "2401.00002")
    rows = [
        link_row("Deep residual learning", "https://github.com/KaimingHe/resnet", "2401.00001"),
        link_row(
            "Deep residual learning",
            "https://github.com/someone/resnet-tf",
            "2401.00001",
            is_official=False,
            framework="tf",
        ),
        link_row(
            "bert pre training of deep bidirectional transformers", "https://github.com/g/bert"
        ),
        link_row(
            r"$\alpha$-stable   diffusion models for images", "https://gitlab.com/grp/sub/alpha"
        ),
        link_row(
            "Learning to Rank with Nonsmooth Cost Function", "https://github.com/r/lambdarank"
        ),
        link_row("GRAPH ATTENTION NETWORKS: REVISITED", "https://github.com/g/gat", "2402.09999"),
        # An arXiv id the database lacks never matches a paper stored under another id.
        link_row(
            "A paper stored under its own identifier", "https://github.com/x/other", "2402.00003"
        ),
        link_row("Nothing Like It Is Stored Here At All", "https://github.com/n/none"),
        link_row("Deep residual learning", "https://bitbucket.org/x/y", "2401.00001"),
        link_row("", "https://github.com/n/untitled", None, framework="none"),
    ]
    path = write(tmp_path / f"links-between-papers-and-code.{packaging}", rows, packaging)

    summary = import_files([path])

    assert links_of(by_id) == {
        ("github.com/kaiminghe/resnet", "pwc", True, "pytorch"),
        ("github.com/someone/resnet-tf", "pwc", False, "tf"),
    }
    assert links_of(cased) == {("github.com/g/bert", "pwc", True, "pytorch")}
    assert links_of(tex) == {("gitlab.com/grp/sub/alpha", "pwc", True, "pytorch")}
    assert links_of(fuzzy) == {("github.com/r/lambdarank", "pwc", True, "pytorch")}
    assert links_of(title_only_with_id) == {("github.com/g/gat", "pwc", True, "pytorch")}
    assert links_of(other_id) == set()
    assert PaperRepository.objects.count() == 6
    assert summary.matched == {"arXiv id": 2, "title": 3, "fuzzy title": 1}
    assert (summary.rows, summary.link_rows, summary.unmatched) == (10, 10, 2)
    assert (summary.ignored, summary.skipped, summary.links) == (2, 0, 6)
    # Rows are named by file and position: item N of an array, the physical line of
    # a JSON lines file (this one has a blank line after each row).
    at = {"json": ["item 7", "item 8"], "json.gz": ["item 7", "item 8"]}
    seventh, eighth = at.get(packaging, ["line 13", "line 15"])
    unmatched = [p for p in summary.problems if p.startswith("unmatched")]
    assert unmatched == [
        f"unmatched {path.name} {seventh}: no paper with arXiv 2402.00003, title "
        "'A paper stored under its own identifier'",
        f"unmatched {path.name} {eighth}: no paper with title "
        "'Nothing Like It Is Stored Here At All'",
    ]

    again = import_files([path])  # idempotent
    assert PaperRepository.objects.count() == 6
    assert again.matched == summary.matched


def test_pwc_flag_and_framework_update_a_link_found_in_the_abstract(tmp_path):
    paper = store("Some Model", "2401.00005", abstract="Code: https://github.com/Org/Model.")
    assert links_of(paper) == {("github.com/org/model", "abstract", True, "")}
    rows = [
        link_row(
            "Some Model",
            "https://github.com/org/model",
            "2401.00005",
            is_official=False,
            framework="jax",
        )
    ]
    import_files([write(tmp_path / "links.json", rows, "json")])
    # The source stays where the link was first seen; Papers with Code's flag wins.
    assert links_of(paper) == {("github.com/org/model", "abstract", False, "jax")}


def test_papers_with_abstracts_fill_title_only_papers_and_create_only_when_asked(tmp_path):
    trending = store("Scaling Laws for Neural Language Models")
    rows = [
        {
            "paper_url": "https://paperswithcode.com/paper/scaling-laws",
            "arxiv_id": "2001.08361",
            "title": "Scaling laws for neural language models.",
            "abstract": "We study empirical scaling laws for language model performance.",
            "url_abs": "https://arxiv.org/abs/2001.08361v1",
            "url_pdf": "https://arxiv.org/pdf/2001.08361v1.pdf",
            "proceeding": None,
            "authors": ["Jared Kaplan", "Sam McCandlish"],
            "tasks": ["Language Modelling"],
            "date": "2020-01-23",
            "methods": [],
        },
        {
            "paper_url": "https://paperswithcode.com/paper/unknown",
            "arxiv_id": "2002.00001",
            "title": "A Paper Nobody Stored",
            "abstract": "Nothing.",
            "tasks": [],
            "methods": [],
            "date": "2020-02-01",
            "proceeding": None,
        },
    ]
    path = write(tmp_path / "papers-with-abstracts.json.gz", rows, "json.gz")

    summary = import_files([path])

    trending.refresh_from_db()
    assert trending.arxiv_id == "2001.08361"
    assert trending.abstract.startswith("We study empirical scaling laws")
    assert trending.published is not None and trending.published.date().isoformat() == "2020-01-23"
    assert trending.author_names() == ["Jared Kaplan", "Sam McCandlish"]
    assert (summary.matched["title"], summary.unmatched, summary.papers_created) == (1, 1, 0)
    assert not Paper.objects.filter(arxiv_id="2002.00001").exists()

    created = import_files([path], create_papers=True)
    assert created.papers_created == 1
    assert Paper.objects.get(arxiv_id="2002.00001").title == "A Paper Nobody Stored"


def test_command_reports_counts_unmatched_rows_and_unreadable_lines(tmp_path, capsys):
    store("Deep Residual Learning", "2401.00001")
    path = tmp_path / "links.jsonl"
    path.write_text(
        json.dumps(link_row("Deep Residual Learning", "https://github.com/k/r", "2401.00001"))
        + "\n{not json\n"
        + json.dumps(link_row("Unknown Paper Title Here", "https://github.com/u/p"))
        + "\n",
        encoding="utf-8",
    )
    report = tmp_path / "report.tsv"
    with pytest.raises(CommandError) as raised:
        call_command("pwc", "import", str(path), "--report", str(report))
    assert raised.value.returncode == 3
    out = capsys.readouterr().out
    assert "read 3 rows (2 code links, 0 papers): matched 1 (1 by arXiv id" in out
    assert "unmatched links.jsonl line 3: no paper with title 'Unknown Paper Title Here'" in out
    assert "skipped links.jsonl line 2: not JSON" in out
    lines = report.read_text(encoding="utf-8").splitlines()
    assert lines[0].split("\t") == ["action", "format", "file", "position", "reason"]
    assert [line.split("\t")[:4] for line in lines[1:]] == [
        ["skipped", "pwc", "links.jsonl", "line 2"],
        ["unmatched", "pwc", "links.jsonl", "line 3"],
    ]
    call_command("pwc", "import", str(path), "--allow-skipped", "--report", str(report))
    assert PaperRepository.objects.filter(found_in="pwc").count() == 1


@pytest.mark.skipif(not EVALUATION_TABLES.is_dir(), reason="needs ../shared/data/pwc")
def test_real_evaluation_tables_code_links_reach_the_right_papers():
    files = sorted(
        p for p in EVALUATION_TABLES.glob("*.json") if p.name != "example_json_format.json"
    )
    qrn = store("Query-Reduction Networks for Question Answering", "1606.04582")
    # Stored from a trending page, without an id, its title in other case and punctuation.
    mcb = store(
        "MULTIMODAL COMPACT BILINEAR POOLING for visual question-answering and visual grounding!"
    )
    # The leaderboard names this paper by an ACL Anthology URL only: title match.
    parser = store("Learning a Neural Semantic Parser from User-Feedback.")
    text2sql = store("Improving Text-to-SQL Evaluation Methodology", "1806.09029")

    summary = import_files(files)

    assert links_of(qrn) == {("github.com/therne/dmn-tensorflow", "pwc", False, "")}
    assert links_of(mcb) == {("github.com/akirafukui/vqa-mcb", "pwc", False, "")}
    assert links_of(parser) == {("github.com/sriniiyer/nl2sql", "pwc", None, "")}
    assert links_of(text2sql) == {("github.com/jkkummerfeld/text2sql-data", "pwc", None, "")}
    assert summary.link_rows == 406
    assert summary.skipped == 0
    assert summary.matched["fuzzy title"] == 0
    matched = sum(summary.matched.values())
    assert matched + summary.unmatched + summary.ignored == 406
    # Counts docs/pwc.md gives: the four papers appear in 17 rows by id, 10 by title.
    assert (summary.matched["arXiv id"], summary.matched["title"]) == (17, 10)
    assert (summary.ignored, summary.unmatched) == (36, 343)
    assert PaperRepository.objects.filter(found_in="pwc").count() == 4


def test_no_fuzzy_leaves_a_near_title_unmatched(tmp_path, capsys):
    paper = store("Learning to Rank with Nonsmooth Cost Functions")
    rows = [link_row("Learning to Rank with Nonsmooth Cost Function", "https://github.com/r/l")]
    path = write(tmp_path / "links.json", rows, "json")
    report = str(tmp_path / "report.tsv")  # not the default under var/
    call_command("pwc", "import", str(path), "--no-fuzzy", "--report", report)
    assert "matched 0" in capsys.readouterr().out
    assert links_of(paper) == set()
    call_command("pwc", "import", str(path), "--report", report)
    assert links_of(paper) == {("github.com/r/l", "pwc", True, "pytorch")}


@pytest.mark.parametrize(
    ("title", "flag"),
    [
        ("Official", True),
        ("Official Implementation", True),
        ("Detectron (Official Version)", True),
        ("Non Official", False),
        ("Unofficial", False),
        ("not official", False),
        ("Non-official PyTorch port", False),
        ("Replicated", False),
        ("Reimplementation", False),
        ("NOT FOUND", None),
        ("", None),
    ],
)
def test_code_link_titles_of_the_evaluation_tables(title: str, flag: bool | None) -> None:
    # The real tables hold 4 "Non Official" links: they are community code.
    assert pwc_files._official_from_title(title) is flag
