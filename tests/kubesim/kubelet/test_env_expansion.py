"""$(VAR) in a container's command and args, as the kubelet expands them (expansion.go):
defined names are replaced, unknown ones stay as written, `$$` escapes."""

from __future__ import annotations

import pytest

from kubesim.kubelet._env import expand_argv

ENV = {"MESSAGE": "hello world", "SPECIAL_LEVEL_KEY": "very", "SPECIAL_TYPE_KEY": "charm"}


@pytest.mark.parametrize(
    ("given", "run"),
    [
        (["$(MESSAGE)"], ["hello world"]),
        (["echo $(SPECIAL_LEVEL_KEY) $(SPECIAL_TYPE_KEY)"], ["echo very charm"]),
        (["$(UNSET)", "a$(MESSAGE)b"], ["$(UNSET)", "ahello worldb"]),
        (["$$(MESSAGE)", "cost: $$5", "$MESSAGE"], ["$(MESSAGE)", "cost: $5", "$MESSAGE"]),
        ([], []),
    ],
)
def test_references_to_the_environment_are_expanded(given: list[str], run: list[str]) -> None:
    assert expand_argv(given, ENV) == run


def test_no_command_stays_the_images_own() -> None:
    assert expand_argv(None, ENV) is None
