"""Models page: each saved model's request timeout and retry budget, edited in place."""

from __future__ import annotations

from studio.store import Actor, ModelConfig

LOCAL = Actor.local()


def test_timeout_and_retries_are_shown_and_saved(app, svc, texts) -> None:
    svc.store.save_model_config(LOCAL, ModelConfig(name="lab", provider="vllm", model="m",
                                            base_url="http://127.0.0.1:9/v1"))
    at = app("models")
    assert "Timeout and retries: 60 s, 2 retries" in [e.label for e in at.expander]
    at.number_input(key="timeout_lab").set_value(150)
    at.number_input(key="retries_lab").set_value(0)
    at.button(key="FormSubmitter:limits_form_lab-Save").click().run()
    assert not at.exception, at.exception
    config = svc.store.get_model_config(LOCAL, "lab")
    assert config.extra == {"timeout": 150.0, "retries": 0}
    assert (config.base_url, config.model) == ("http://127.0.0.1:9/v1", "m"), "nothing else changed"
    assert "**lab** now waits up to 150 s for an answer, then tries 0 more times." in texts(at)
    assert "Timeout and retries: 150 s, 0 retries" in [e.label for e in at.expander]
    assert svc.registry_for(LOCAL).model("lab").timeout == 150.0, "runs started now use it"
