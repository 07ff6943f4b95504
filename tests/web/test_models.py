"""Labs and their command logs."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import IntegrityError

from clusterlab.labs.models import LAB_ID_ALPHABET, LAB_ID_LENGTH, Lab, LabCommand, new_lab_id


def test_lab_ids_are_short_and_unambiguous() -> None:
    ids = {new_lab_id() for _ in range(200)}
    assert len(ids) == 200
    for lab_id in ids:
        assert len(lab_id) == LAB_ID_LENGTH
        assert set(lab_id) <= set(LAB_ID_ALPHABET)
        assert not set(lab_id) & set("01ilo")


@pytest.mark.django_db
def test_a_new_lab_has_a_seed_and_a_running_clock() -> None:
    lab = Lab.objects.create(owner_session_key="k")
    assert 0 <= lab.seed < 2**31
    assert (lab.scenario, lab.speed, lab.paused, lab.virtual_time) == ("default", 1, False, 0.0)


@pytest.mark.django_db
def test_a_log_entry_number_is_used_once_per_lab() -> None:
    lab = Lab.objects.create(owner_session_key="k")
    other = Lab.objects.create(owner_session_key="k")
    LabCommand.objects.create(lab=lab, seq=1, virtual_time=1.0, actor="learner", action="create_sample")
    LabCommand.objects.create(lab=other, seq=1, virtual_time=1.0, actor="learner", action="create_sample")
    with pytest.raises(IntegrityError):
        LabCommand.objects.create(lab=lab, seq=1, virtual_time=2.0, actor="learner", action="pause")


@pytest.mark.django_db
def test_migrations_match_the_models() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
