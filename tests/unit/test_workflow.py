"""The edit and delete rules of the state machine, for every state."""

from __future__ import annotations

import pytest

from app.errors import AppError, ErrorCode
from app.registrations.models import RegistrationStatus as S
from app.registrations.workflow import STATUS_LABELS, check_deletable, status_after_edit

AFTER_EDIT = {
    S.DRAFT: S.DRAFT,
    S.RETURNED: S.RETURNED,
    S.PENDING_INITIAL: S.PENDING_INITIAL,
    S.PENDING_FINAL: S.PENDING_INITIAL,
    S.APPROVED: None,
    S.ROLLBACK_REQUESTED: None,
    S.TRAINING_OPENED: None,
}


def test_every_state_has_a_label_and_an_edit_rule():
    assert set(STATUS_LABELS) == set(S) == set(AFTER_EDIT)


@pytest.mark.parametrize("status", list(S))
def test_edit(status):
    expected = AFTER_EDIT[status]
    if expected is None:
        with pytest.raises(AppError) as refused:
            status_after_edit(status)
        assert refused.value.code == ErrorCode.INVALID_STATE and STATUS_LABELS[status] in refused.value.message
    else:
        assert status_after_edit(status) == expected


@pytest.mark.parametrize("status", list(S))
def test_delete(status):
    if status in (S.DRAFT, S.RETURNED):
        check_deletable(status)
    else:
        with pytest.raises(AppError):
            check_deletable(status)
