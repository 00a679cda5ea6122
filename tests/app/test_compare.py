"""Compare: a continued or forked run says where it comes from, in both pickers, in the
figures table and above its transcript (runs made through the same runs API the
Playground's "What next?" tabs call)."""

from __future__ import annotations

from studio.runs import continue_run, fork_run
from studio.spec import load_bundled_template
from studio.store import Actor

LOCAL = Actor.local()


def _ended(svc, run_id: str) -> str:  # noqa: ANN001 - Services
    assert svc.manager.get(LOCAL, run_id).wait(60)
    return run_id


def _runs(svc) -> tuple[str, str, str]:  # noqa: ANN001 - Services
    """A fresh run, its follow-up, and a fork of that follow-up at message 2, edited."""
    spec = load_bundled_template("debate_judge")
    first = _ended(svc, svc.manager.start(LOCAL, spec, spec.default_task,
                                          template_name=spec.name, model="demo"))
    second = _ended(svc, continue_run(svc.manager, LOCAL, first, "Judge, why?", model="demo"))
    third = _ended(svc, fork_run(svc.manager, LOCAL, second, 1, "Opening: let children play.",
                                 model="demo"))
    return first, second, third


def _label(at, key: str, run_id: str) -> str:  # noqa: ANN001 - AppTest
    picker = at.selectbox(key=key)
    return picker.options[[o.endswith(f"#{run_id[:6]}") for o in picker.options].index(True)]


def test_the_pickers_and_the_sides_say_which_run_continues_or_forks_which(app, svc) -> None:
    first, second, third = _runs(svc)
    at = app("compare", a=second, b=first)
    assert not at.exception, at.exception
    for key in ("compare_a", "compare_b"):
        assert "↪️" not in _label(at, key, first) and "🔀" not in _label(at, key, first)
        assert f"↪️ follow-up of #{first[:6]}" in _label(at, key, second)
        assert f"🔀 fork of #{second[:6]} at message 2 (edited)" in _label(at, key, third)
    assert at.selectbox(key="compare_a").value == second  # the URL's ?a= still picks it
    captions = [c.value for c in at.caption]
    assert "↪️ This run is a follow-up of the second run." in captions, captions
    assert "↪️ The first run is a follow-up of this run." in captions, captions
    table = at.dataframe[0].value
    assert list(table.iloc[-1]) == ["comes from", "↪️ follow-up of the second run", "-"]

    at = app("compare", a=first, b=third)  # not each other's: the run it comes from, by id
    assert not at.exception, at.exception
    captions = [c.value for c in at.caption]
    assert f"🔀 This run is a fork of #{second[:6]} at message 2 (edited)." in captions
    assert not any("first run" in c for c in captions), captions
    assert list(at.dataframe[0].value.iloc[-1]) == [
        "comes from", "-", f"🔀 fork of #{second[:6]} at message 2 (edited)"]

    at = app("compare", a=third, b=second)  # each: where it comes from, and the other side
    captions = [c.value for c in at.caption]
    assert "🔀 This run is a fork of the second run at message 2 (edited)." in captions
    assert (f"↪️ This run is a follow-up of #{first[:6]}. 🔀 The first run is a fork of this "
            "run at message 2 (edited).") in captions, captions


def test_a_task_and_a_name_show_as_typed(app, svc) -> None:  # noqa: ANN001
    spec = load_bundled_template("debate_judge")
    task = "Is **homework** [useful](http://example.com)? _Discuss_ #1"
    runs = [_ended(svc, svc.manager.start(LOCAL, spec, task, template_name="My *best* team",
                                          model="demo")) for _ in range(2)]
    at = app("compare", a=runs[0], b=runs[1])
    assert not at.exception, at.exception
    shown = [m.value for m in at.markdown]
    assert r"> Is \*\*homework\*\* \[useful\](http\://example.com)? \_Discuss\_ \#1" in shown, shown
    assert any(m.startswith(r"**My \*best\* team** · ") for m in shown), shown
