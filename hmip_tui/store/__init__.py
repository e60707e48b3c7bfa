"""The one place that talks SQL. Callers use domain functions, never queries."""

from .answers import Answer, answers_for_case, clear_answer, record_answer, record_note
from .cases import (CaseFile, CaseWithProgress, add_case, all_cases, case_count, case_refs,
                    cases_with_progress, status_counts,
                    get_case, set_resume_at, set_status, update_profile)
from .counts import option_counts, overall_tallies, tallies, tallies_by
from .database import connect, ready_to_write, streaming, transaction
from .inspections import Inspection, create_inspection, get_inspection, require_inspection
from .judgements import judgements, record_judgement

__all__ = [
    "Answer", "case_refs", "CaseFile", "CaseWithProgress", "cases_with_progress", "Inspection", "add_case",
    "all_cases", "answers_for_case", "case_count", "clear_answer", "connect", "create_inspection", "ready_to_write", "streaming",
    "get_case", "get_inspection", "judgements", "option_counts",
    "overall_tallies", "record_answer", "record_judgement", "record_note",
    "require_inspection", "set_resume_at", "set_status", "status_counts", "tallies", "tallies_by", "transaction",
    "update_profile",
]
