"""Repository links found in text: noise handling, non-repository pages, and real files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from papertrend.coderepos.extract import RepoRef, find_repositories


def found(text: str) -> list[tuple[str, str, str]]:
    return [(r.host, r.owner, r.name) for r in find_repositories(text)]


GH = "github.com"
GL = "gitlab.com"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Code: https://github.com/x/y.", [(GH, "x", "y")]),
        ("http://github.com/x/y, and more", [(GH, "x", "y")]),
        ("see www.github.com/x/y; or", [(GH, "x", "y")]),
        ("at github.com/x/y)", [(GH, "x", "y")]),
        ("[github.com/x/y]", [(GH, "x", "y")]),
        ("'github.com/x/y'", [(GH, "x", "y")]),
        ('"https://github.com/x/y"', [(GH, "x", "y")]),
        ("github.com/kleinzcy/Cr-KD-NCD{here}.", [(GH, "kleinzcy", "Cr-KD-NCD")]),
        ("\\url{https://github.com/x/y}", [(GH, "x", "y")]),
        ("\\href{https://github.com/x/y}{code}", [(GH, "x", "y")]),
        ("https://github.com/x/my\\_repo", [(GH, "x", "my_repo")]),
        ("https://github.com/a/b/tree/master/sub/dir", [(GH, "a", "b")]),
        ("https://github.com/a/b/blob/main/README.md", [(GH, "a", "b")]),
        ("https://github.com/a/b#readme", [(GH, "a", "b")]),
        ("https://github.com/a/b?tab=readme-ov-file", [(GH, "a", "b")]),
        ("https://github.com/a/b.git", [(GH, "a", "b")]),
        ("https://github.com/a/b.git.", [(GH, "a", "b")]),
        ("HTTPS://GitHub.com/Open-MMLab/MMDetection", [(GH, "Open-MMLab", "MMDetection")]),
        ("github.com/pytorch/pytorch.github.io", [(GH, "pytorch", "pytorch.github.io")]),
        ("github.com/a/b and GitHub.com/A/B/", [(GH, "a", "b")]),  # first spelling kept
        ("https://gitlab.com/group/sub/proj/-/tree/main", [(GL, "group/sub", "proj")]),
        ("https://gitlab.com/a/b/tree/master", [(GL, "a", "b")]),
        ("gitlab.com/inria_team/code.lib.", [(GL, "inria_team", "code.lib")]),
        # Not repositories:
        ("https://github.com/features/copilot", []),
        ("https://github.com/orgs/x/repositories", []),
        ("https://github.com/sponsors/x", []),
        ("https://github.com/x", []),
        ("https://github.com/x/", []),
        ("https://github.com/x?tab=repositories", []),
        ("https://x.github.io/y", []),
        ("https://gist.github.com/x/abc123", []),
        ("https://notgithub.com/x/y", []),
        ("github.com/-x/y", []),
        ("github.com/x_y/z", []),
        ("github.com/x/..", []),
        ("github.com/" + "a" * 40 + "/y", []),
        ("gitlab.com/explore/projects", []),
        ("gitlab.com/solo", []),
        # A URL broken by a line break is not joined.
        ("https://github.com/x/\nrepo", []),
        ("", []),
    ],
)
def test_find_repositories(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert found(text) == expected


def test_ref_url_and_key() -> None:
    ref = RepoRef(GH, "LiheYoung", "ShrinkMatch")
    assert ref.url == "https://github.com/LiheYoung/ShrinkMatch"
    assert ref.key == "github.com/liheyoung/shrinkmatch"
    assert RepoRef(GL, "group/sub", "proj").url == "https://gitlab.com/group/sub/proj"


GITHUB_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
GITLAB_NAMESPACE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_][A-Za-z0-9_.-]*)*")
REPO_NAME = re.compile(r"[A-Za-z0-9._-]+")

url_parts = st.sampled_from(
    [
        *["github.com/", "gitlab.com/", "https://", "www.", "/", ".", ",", ")", "}", "{", "\\_"],
        *[".git", "#", "?", "-", "_", "a", "B", "7", " ", "\n", "tree/", "-/", "orgs", ".."],
    ]
)


@given(st.one_of(st.text(max_size=200), st.lists(url_parts, max_size=30).map("".join)))
@settings(max_examples=500)
def test_results_follow_the_naming_rules(text: str) -> None:
    refs = find_repositories(text)
    assert len({r.key for r in refs}) == len(refs)
    for ref in refs:
        assert REPO_NAME.fullmatch(ref.name)
        assert ref.name not in (".", "..")
        if ref.host == GH:
            assert GITHUB_OWNER.fullmatch(ref.owner)
        else:
            assert ref.host == GL
            assert GITLAB_NAMESPACE.fullmatch(ref.owner)


# The trending page names these repositories (read from each abstract's context);
# its two *.github.io links are project pages, not repositories.
TRENDING_PAGE_REPOSITORIES = {
    "github.com/GitGyun/chameleon",
    "github.com/n3il666/Meta-DMoE",
    "github.com/LiheYoung/ShrinkMatch",
    "github.com/VITA-Group/DSEE",
    "github.com/abhibambhaniya/progressive_gradient_flow_nm_sparsity",
    "github.com/lgcnsai/PS-KD-Pytorch",
    "github.com/cambridgeltl/composable-sft",
    "github.com/SJShin-AI/UDIM",
    "github.com/zyxxmu/DSnoT",
    "github.com/kleinzcy/Cr-KD-NCD",
    "github.com/RaghavSinghal10/lora-sb",
    "github.com/atriguha/Adapt_Unlearn",
    "github.com/OPTML-Group/Unlearn-Sparse",
    "github.com/google-research/self-organising-systems",
    "github.com/shikiw/DAM-VP",
    "github.com/extremebird/Hydra",
    "github.com/tml-epfl/sharpness-vs-generalization",
    "github.com/Westlake-AI/openmixup",
    "github.com/mlfoundations/model-soups",
}


@pytest.mark.shared_data
def test_trending_page(shared_data: Path) -> None:
    text = (shared_data / "trending-page" / "trending-page.txt").read_text()
    refs = find_repositories(text)
    assert {f"{r.host}/{r.owner}/{r.name}" for r in refs} == TRENDING_PAGE_REPOSITORIES
    assert len(refs) == len(TRENDING_PAGE_REPOSITORIES)


@pytest.mark.shared_data
def test_real_metadata(shared_data: Path) -> None:
    arxiv = shared_data / "arxiv"
    abs_file = arxiv / "abs" / "ftp" / "arxiv" / "papers"
    found_in_abs = {
        r.url
        for path in abs_file.rglob("*.abs")
        for r in find_repositories(path.read_text(errors="replace"))
    }
    assert {
        "https://github.com/JingyunLiang/SwinIR",
        "https://github.com/TencentARC/GFPGAN",
        "https://github.com/orpatashnik/StyleCLIP",
    } <= found_in_abs
    atom = "\n".join(
        json.loads(path.read_text())["body"]
        for path in (arxiv / "api-atom" / "recorded_json").glob("q_testing_s0_m100_*.json")
    )
    urls = [r.url for r in find_repositories(atom)]
    assert "https://github.com/ydecastro/super-resolution-testing" in urls
    assert not any("opendatalab" in url for url in urls)  # opendatalab.github.io/REST is a page
    kaggle = (arxiv / "kaggle-snapshot-head.jsonl").read_text()
    assert find_repositories(kaggle) == []  # April 2007: no code links yet
