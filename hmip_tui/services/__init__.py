"""What the command line and the terminal app both do, in the inspectorate's words: one door.

`cli.py` and `tui/` call these functions, never `store/` or `exchange/` directly. This is where
who is acting (the inspector code) meets the rules (rights, limited access, reasons), so that a
rule holds the same whichever face is used. No SQL and no UI here.
"""

from .cases import (Answer, CaseFile, FieldChange, NoteDraft, cases_with_drafts, drafts_for_case, drop_note_draft,
                    keep_note_draft, note_draft, add_case, set_case_field, answers_for_case, case_refs, check_ref, clean_profile,
                    clear_answer, get_case, import_sample, may_open, profile_problem, record_answer,
                    record_note, set_resume_at, set_status, update_profile)
from .evidence import evidence
from .live import WrittenElsewhere, window_lock
from .inspection import (CaseProgress, case_counts, case_progress, check_in_background, check_inspection, create_demo, current_ratings, found_inspection,
                         get_inspection, inspection_framework, judgements, open_database,
                         record_judgement, require_inspection, set_up_inspection)
from .moderation import (agreement_pairs, assign_second_reading, audit_trail, conflicts,
                         finish_second_reading, key_questions_for, lock_case, moderation_status,
                         pick_second_readings, record_second_answer, redact_note, reopen_case,
                         second_answers, second_readings, settle_conflict, settle_disagreement)
from .search import search_evidence
from .sync import SyncSummary, sync
from .team import add_to_team, grant_access, is_lead, recorder_here, rekey, team_members
from .team_server import add_server_login, init_server, server_where
from .transfer import (backup_now, default_export_path, check_database_path, check_output_path, export_answers_csv, export_bundle, export_join_file,
                       export_workbook, import_bundles, remove_new_database, restore_backup)

__all__ = [
    "NoteDraft", "cases_with_drafts", "drafts_for_case", "drop_note_draft", "keep_note_draft", "note_draft",
    "Answer", "CaseFile", "CaseProgress", "FieldChange", "set_case_field", "check_ref", "clean_profile", "profile_problem", "add_case", "add_to_team", "agreement_pairs", "answers_for_case",
    "assign_second_reading", "audit_trail", "backup_now", "default_export_path", "check_database_path", "check_output_path",
    "remove_new_database", "case_counts", "case_progress", "check_in_background", "check_inspection", "evidence", "case_refs", "clear_answer",
    "conflicts", "create_demo", "current_ratings", "export_answers_csv", "export_bundle", "export_join_file", "export_workbook",
    "finish_second_reading", "found_inspection", "get_case", "get_inspection", "grant_access",
    "import_bundles", "import_sample", "inspection_framework", "is_lead", "judgements",
    "key_questions_for", "lock_case", "may_open", "moderation_status", "open_database",
    "pick_second_readings", "record_answer", "record_judgement", "record_note", "record_second_answer",
    "redact_note", "search_evidence", "rekey", "reopen_case", "require_inspection", "restore_backup", "second_answers",
    "second_readings", "set_resume_at", "set_up_inspection", "set_status", "settle_conflict", "settle_disagreement",
    "team_members", "update_profile", "WrittenElsewhere", "window_lock", "SyncSummary", "sync", "add_server_login",
    "init_server", "server_where", "recorder_here",
]
