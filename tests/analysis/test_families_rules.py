"""Boundaries of the cluster-naming rule (channelstudy.analysis.families): majority, cloud split, ties, order."""

from __future__ import annotations

import pytest

from channelstudy.analysis.families import MAJORITY, family_shares, name_profile, name_sort_key

# streams: hw_resale, sw_resale, services, own_ip, cloud_subs, managed


@pytest.mark.parametrize(("profile", "name"), [
    ((0.0, 0.0, 0.50, 0.20, 0.10, 0.20), "services-led"),  # exactly half is a majority
    ((0.0, 0.0, 0.49, 0.21, 0.10, 0.20), "mixed (services, own IP)"),  # just below is not
    # own IP equal to managed: cloud goes to own IP (0.4), not to managed (0.2 + 0.2)
    ((0.30, 0.0, 0.10, 0.20, 0.20, 0.20), "mixed (own IP, resale)"),
    ((0.30, 0.0, 0.10, 0.19, 0.20, 0.21), "mixed (managed/cloud, resale)"),
    # ties among the leaders: the earlier family first
    ((0.20, 0.20, 0.40, 0.0, 0.0, 0.20), "mixed (resale, services)"),
    ((0.10, 0.10, 0.40, 0.40, 0.0, 0.0), "mixed (services, own IP)"),
    ((0.0, 0.0, 0.20, 0.40, 0.0, 0.40), "mixed (own IP, managed/cloud)"),
    ((0.0, 0.0, 0.0, 0.50, 0.0, 0.50), "own-IP"),
    ((0.0, 0.0, 0.0, 0.0, 0.60, 0.40), "managed/cloud"),
    # resale is hardware plus software
    ((0.25, 0.26, 0.49, 0.0, 0.0, 0.0), "resale-led"),
])
def test_naming_rule_boundaries(profile, name):
    assert MAJORITY == 0.5
    assert name_profile(profile) == name


def test_naming_closes_the_mix_first():
    assert name_profile([45, 30, 13, 1, 3, 8]) == name_profile([0.45, 0.30, 0.13, 0.01, 0.03, 0.08]) == "resale-led"
    assert family_shares([0, 0, 1, 1, 0, 2]).to_dict() == pytest.approx(
        {"resale": 0.0, "services": 0.25, "own_ip": 0.25, "managed_cloud": 0.5})


def test_cloud_joins_the_larger_of_own_ip_and_managed():
    assert family_shares([0, 0, 0, 0.3, 0.4, 0.3]).to_dict() == pytest.approx(
        {"resale": 0.0, "services": 0.0, "own_ip": 0.7, "managed_cloud": 0.3})
    assert family_shares([0, 0, 0, 0.29, 0.4, 0.31]).to_dict() == pytest.approx(
        {"resale": 0.0, "services": 0.0, "own_ip": 0.29, "managed_cloud": 0.71})


def test_cluster_names_sort_by_family_then_mixed_alphabetically():
    names = ["mixed (services, resale)", "own-IP", "managed/cloud", "mixed (own IP, resale)", "services-led",
             "resale-led"]
    assert sorted(names, key=name_sort_key) == ["resale-led", "services-led", "own-IP", "managed/cloud",
                                                "mixed (own IP, resale)", "mixed (services, resale)"]
    assert name_sort_key("own-IP") == (2, "")
    assert name_sort_key("mixed (a, b)") == (4, "mixed (a, b)")
