"""The house formats readers see: identifiers as labels and mid-sentence words."""

from __future__ import annotations

import pytest

from spmsim.format import label, words


@pytest.mark.parametrize(("name", "as_label", "as_words"), [
    ("new_arr", "New ARR", "new ARR"),
    ("smb_ae", "SMB AE", "SMB AE"),
    ("flat_growth_quotas", "Flat growth quotas", "flat growth quotas"),
    ("spiff", "SPIF", "SPIF"),          # the type is `spiff`; readers write SPIF
    ("commission", "Commission", "commission"),
    ("plan_rate", "Plan rate", "plan rate"),
])
def test_identifiers_read_as_words(name, as_label, as_words):
    assert label(name) == as_label
    assert words(name) == as_words


def test_a_plan_diff_names_a_new_spif_as_readers_do():
    from spmsim.plans import plan_from_dict
    from spmsim.plans.diff import plan_changes

    base = {"plan": "P", "ote": 100_000, "base_share": 0.5, "year_start": "2027-01-01",
            "components": [{"name": "New ARR", "type": "commission", "measure": "new_arr",
                            "weight": 1.0, "tiers": [{"rate": 1.0}]}]}
    spif = {"name": "Q4 SPIF", "type": "spiff", "measure": "new_arr", "per_unit": 0.002}
    new = {**base, "components": [*base["components"], spif]}
    texts = [c.text for c in plan_changes(plan_from_dict(base), plan_from_dict(new))]
    assert "adds a SPIF component “Q4 SPIF”" in texts
