"""The review workflow: who may do what, every save kept, comments, diffs, publishing."""
from __future__ import annotations

import pytest

from wikitown.drafts import review
from wikitown.core.errors import AccessDenied, InputError
from wikitown.store.sites import upsert_sites
from wikitown.store.db import Store


@pytest.fixture
def store(tmp_path):
    s = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    upsert_sites(s, [{"id": "s1", "name": "常楽寺"}, {"id": "s2", "name": "焼津神社"}])
    return s


FIRST = "first<ref>x</ref>\n"  # a text the checks pass: approval is refused while they fail


def _new(store, site="s1"):
    return review.create_draft(store, site, "常楽寺 (焼津市)", FIRST, author="Aki", role="participant")


def test_full_path_and_log(store):
    d = _new(store)
    assert d.state == "draft"
    rev2 = review.save_revision(store, d.id, "first\nsecond\n", author="Aki", role="writer", summary="more")
    review.transition(store, d.id, "submit", author="Aki", role="participant")
    review.comment(store, d.id, rev2, "出典を足してください <script>", author="Lib", role="librarian")
    review.transition(store, d.id, "request_changes", author="Lib", role="librarian", comment="出典")
    review.save_revision(store, d.id, "first\nsecond<ref>x</ref>\n", author="Aki", role="participant")
    review.transition(store, d.id, "submit", author="Aki", role="participant")
    d = review.transition(store, d.id, "approve", author="Org", role="organizer")
    assert d.state == "approved"
    assert [r["action"] for r in review.review_log(store, d.id)] == [
        "submit", "comment", "request_changes", "submit", "approve"]
    log = review.review_log(store, d.id)
    assert log[1]["comment"] == "出典を足してください <script>" and log[1]["revision_id"] == rev2
    assert [r.wikitext for r in review.revisions(store, d.id)] == [
        FIRST, "first\nsecond\n", "first\nsecond<ref>x</ref>\n"]
    assert review.approved_drafts(store)[0]["wikitext"] == "first\nsecond<ref>x</ref>\n"
    d = review.mark_published(store, d.id, "常楽寺 (焼津市)", 1234, by="TownBot")
    assert (d.state, d.published_title, d.published_revid) == ("published", "常楽寺 (焼津市)", 1234)
    assert review.review_log(store, d.id)[-1]["action"] == "publish"
    # the same report twice changes nothing; editing a published draft is refused
    review.mark_published(store, d.id, "常楽寺 (焼津市)", 1234, by="TownBot")
    assert [r["action"] for r in review.review_log(store, d.id)].count("publish") == 1
    with pytest.raises(AccessDenied) as err:
        review.save_revision(store, d.id, "x", author="Aki", role="participant")
    assert err.value.key == "drafts.review.published"


@pytest.mark.parametrize("action, role, state", [
    ("approve", "participant", "in_review"),
    ("approve", "writer", "in_review"),
    ("request_changes", "participant", "in_review"),
    ("withdraw", "participant", "approved"),
    ("publish", "librarian", "approved"),
    ("submit", "", "draft"),
    ("submit", "stranger", "draft"),
])
def test_wrong_role_is_refused(store, action, role, state):
    d = _new(store)
    if state in ("in_review", "approved"):
        review.transition(store, d.id, "submit", author="a", role="participant")
    if state == "approved":
        review.transition(store, d.id, "approve", author="l", role="librarian")
    with pytest.raises(AccessDenied) as err:
        review.transition(store, d.id, action, author="x", role=role)
    assert err.value.key == "drafts.review.role"
    assert err.value.message("ja") != err.value.key
    assert review.get_draft(store, d.id).state == state  # nothing changed


def test_wrong_state_is_refused(store):
    d = _new(store)
    with pytest.raises(AccessDenied) as err:
        review.transition(store, d.id, "approve", author="l", role="librarian")
    assert err.value.key == "drafts.review.state"
    with pytest.raises(AccessDenied):
        review.mark_published(store, d.id, "T", 1, by="bot")
    with pytest.raises(InputError):
        review.transition(store, d.id, "request_changes", author="l", role="librarian", comment="")


def test_editing_needs_a_writer_role(store):
    with pytest.raises(AccessDenied):
        review.create_draft(store, "s2", "t", "x", author="?", role="visitor")
    d = _new(store)
    with pytest.raises(AccessDenied):
        review.save_revision(store, d.id, "y", author="?", role="")
    with pytest.raises(AccessDenied):
        review.comment(store, d.id, d.current_revision_id, "hi", author="?", role="anonymous")


def test_saving_an_approved_draft_sends_it_back_to_review(store):
    d = _new(store)
    review.transition(store, d.id, "submit", author="a", role="participant")
    review.transition(store, d.id, "approve", author="l", role="librarian")
    review.save_revision(store, d.id, "changed\n", author="a", role="participant")
    assert review.get_draft(store, d.id).state == "in_review"
    assert review.approved_drafts(store) == []


def test_conflicting_save_is_refused_and_nothing_lost(store):
    d = _new(store)
    base = d.current_revision_id
    review.save_revision(store, d.id, "by Aki\n", author="Aki", role="participant", base_revision_id=base)
    with pytest.raises(InputError) as err:
        review.save_revision(store, d.id, "by Ben\n", author="Ben", role="participant", base_revision_id=base)
    assert err.value.key == "drafts.error.conflict"
    assert review.current_wikitext(store, d.id) == "by Aki\n"
    same = review.save_revision(store, d.id, "by Aki\n", author="Aki", role="participant")
    assert len(review.revisions(store, d.id)) == 2 and same == review.get_draft(store, d.id).current_revision_id


def test_diff_between_any_two_revisions(store):
    d = _new(store)
    r2 = review.save_revision(store, d.id, "first\nsecond\n", author="a", role="participant")
    r3 = review.save_revision(store, d.id, "zero\nfirst\nsecond", author="a", role="participant")
    text = review.diff(store, review.revisions(store, d.id)[0].id, r3)
    assert "+zero" in text and "+second" in text and text.startswith("--- r")
    back = review.diff(store, r3, r2)
    assert "-zero" in back
    assert review.diff(store, r2, r2) == ""
    with pytest.raises(InputError):
        review.diff(store, r2, 99999)


def test_one_draft_per_site(store):
    a = _new(store)
    b = review.create_draft(store, "s1", "other", "other", author="x", role="librarian")
    assert a.id == b.id and review.current_wikitext(store, a.id) == FIRST
    assert review.allowed_actions("in_review", "librarian") == ["request_changes", "approve", "withdraw"]
    assert review.allowed_actions("in_review", "participant") == []


# --- approval is a gate (issue 12.7) -----------------------------------------------------------

def _in_review(store, text=FIRST, writer="Aki"):
    d = review.create_draft(store, "s1", "常楽寺 (焼津市)", text, author=writer, role="participant")
    review.transition(store, d.id, "submit", author=writer, role="participant")
    return d


def test_writer_and_submitter_cannot_approve(store):
    d = _in_review(store)
    with pytest.raises(AccessDenied) as err:
        review.transition(store, d.id, "approve", author="Aki", role="librarian")
    assert err.value.key == "drafts.review.own_draft" and "Aki" in err.value.message("ja")
    with pytest.raises(AccessDenied) as err:  # the same person, typed differently
        review.transition(store, d.id, "approve", author=" ａｋｉ ", role="organizer")
    assert err.value.key == "drafts.review.own_draft"
    with pytest.raises(AccessDenied) as err:
        review.transition(store, d.id, "approve", author="", role="librarian")
    assert err.value.key == "drafts.review.name_needed"
    # someone who only submitted it is one of its writers too
    review.transition(store, d.id, "withdraw", author="Lib", role="librarian")
    review.transition(store, d.id, "submit", author="Ben", role="librarian")
    with pytest.raises(AccessDenied):
        review.transition(store, d.id, "approve", author="Ben", role="librarian")
    assert review.get_draft(store, d.id).state == "in_review"
    assert review.writers(store, d.id) == ["Aki", "Ben"]
    assert review.transition(store, d.id, "approve", author="Lib", role="librarian").state == "approved"


def test_failing_checks_refuse_approval_unless_a_reason_is_written(store):
    d = _in_review(store, "'''常楽寺'''は寺院。\n\n== 歴史 ==\n<!-- wikitown:placeholder 由緒 -->\n")
    with pytest.raises(AccessDenied) as err:
        review.transition(store, d.id, "approve", author="Lib", role="librarian")
    assert err.value.key == "drafts.review.checks_fail" and err.value.params["count"] == 2
    assert review.get_draft(store, d.id).state == "in_review"
    with pytest.raises(AccessDenied):
        review.transition(store, d.id, "approve", author="Lib", role="librarian", override_reason="   ")
    d = review.transition(store, d.id, "approve", author="Lib", role="librarian",
                          override_reason="出典は市史 p.12 で確認、歴史の節は公開後に書く")
    assert d.state == "approved"
    log = review.review_log(store, d.id)
    override = next(r for r in log if r["action"] == "override")
    assert override["author"] == "Lib" and override["comment"].startswith("出典は市史 p.12 で確認")
    assert "unreferenced_paragraph" in override["comment"] and "placeholder" in override["comment"]
    assert [r["action"] for r in log][-2:] == ["override", "approve"]


def test_two_approvals_by_different_people_when_required(store):
    d = _in_review(store)
    d = review.transition(store, d.id, "approve", author="Lib", role="librarian", approvals_required=2)
    assert d.state == "in_review" and review.approvals(store, d.id) == ["Lib"]
    with pytest.raises(AccessDenied) as err:
        review.transition(store, d.id, "approve", author="lib", role="librarian", approvals_required=2)
    assert err.value.key == "drafts.review.already_approved"
    assert review.approved_drafts(store) == []
    # a new revision is other text: the approvals so far do not count for it
    review.save_revision(store, d.id, "first<ref>y</ref>\n", author="Aki", role="participant")
    assert review.approvals(store, d.id) == []
    review.transition(store, d.id, "approve", author="Lib", role="librarian", approvals_required=2)
    d = review.transition(store, d.id, "approve", author="Org", role="organizer", approvals_required=2)
    assert d.state == "approved" and review.approvals(store, d.id) == ["Lib", "Org"]
    assert [r["to_state"] for r in review.review_log(store, d.id) if r["action"] == "approve"] == \
        ["in_review", "in_review", "approved"]
