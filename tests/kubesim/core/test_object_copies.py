"""`objects.deepcopy`: the API server's copy of a JSON tree shares nothing with the original,
and whatever is not JSON inside is copied as `copy.deepcopy` copies it."""

from __future__ import annotations

from collections import OrderedDict
from decimal import Decimal

from kubesim.core.objects import deepcopy


def test_a_json_tree_is_copied_to_the_last_leaf_and_keeps_its_order():
    pod = {
        "metadata": {"name": "web", "labels": {"b": "2", "a": "1"}},
        "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
        "status": {"ready": True, "restarts": 0, "ratio": 0.5, "reason": None},
    }
    copied = deepcopy(pod)
    assert copied == pod and list(copied["metadata"]["labels"]) == ["b", "a"]
    copied["spec"]["containers"][0]["ports"][0]["containerPort"] = 8080
    copied["metadata"]["labels"]["c"] = "3"
    copied["status"]["ready"] = False
    assert pod["spec"]["containers"][0]["ports"][0]["containerPort"] == 80
    assert pod["metadata"]["labels"] == {"b": "2", "a": "1"} and pod["status"]["ready"] is True


def test_what_is_not_json_is_copied_as_copy_deepcopy_copies_it():
    inner = {"x": [1]}
    tree = {"tuple": (inner,), "ordered": OrderedDict(a=[1]), "amount": Decimal("1.5")}
    copied = deepcopy(tree)
    assert copied == tree
    assert type(copied["ordered"]) is OrderedDict and copied["ordered"] is not tree["ordered"]
    copied["tuple"][0]["x"].append(2)
    copied["ordered"]["a"].append(2)
    assert inner == {"x": [1]} and tree["ordered"]["a"] == [1]
