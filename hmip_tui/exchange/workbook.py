"""The data workbook: an inspection as the Excel annex published beside the report.

Written with XlsxWriter in constant-memory mode: the case and answer sheets stream from SQLite
one row at a time, so a national data set never has to fit in a laptop's memory. The summary
sheets come from the same functions as `hmip rate`, so the two always agree.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .. import __version__, store
from ..analysis import breakdown, comparisons
from ..errors import HmipError
from ..framework import Framework
from ..rating import Ratings
from ..words import count
from ..store.export_rows import answer_count, answer_rows, cases_with_answers
from .files import atomic_output

Progress = Callable[[int, int], None]  # (done, total) in rows written

# Excel holds at most this many characters (UTF-16 code units) in a cell, and XlsxWriter cuts a
# longer string there without a word. A note cut silently would misquote the evidence, so a cut
# says so in the cell, and where the whole text is.
CELL_LIMIT = 32_767


def fit_cell(text, whole_in: str):
    """`text` as one Excel cell holds it: whole if it fits, else cut and marked as cut."""
    if not isinstance(text, str) or len(text) <= CELL_LIMIT // 2:
        return text
    units = text.encode("utf-16-le")
    if len(units) // 2 <= CELL_LIMIT:
        return text
    mark = (f" [cut here: the text has {len(text):,} characters, more than an Excel cell holds; "
            f"the whole of it is in {whole_in}]")
    keep = CELL_LIMIT - len(mark.encode("utf-16-le")) // 2
    # Cut on a code-unit boundary; "ignore" drops half of a surrogate pair split by the cut.
    return units[: keep * 2].decode("utf-16-le", errors="ignore") + mark


@dataclass
class Formats:
    header: object
    title: object
    wrap: object
    percent: object
    bold: object
    top: object
    band: dict  # band id -> format with its colour


def _formats(wb, framework: Framework) -> Formats:
    return Formats(
        header=wb.add_format({"bold": True, "bg_color": "#1F3864", "font_color": "#FFFFFF",
                              "text_wrap": True, "valign": "top", "border": 1}),
        title=wb.add_format({"bold": True, "font_size": 14}),
        wrap=wb.add_format({"text_wrap": True, "valign": "top"}),
        percent=wb.add_format({"num_format": "0%", "valign": "top"}),
        bold=wb.add_format({"bold": True, "valign": "top"}),
        top=wb.add_format({"valign": "top"}),
        band={b.id: wb.add_format({"bold": True, "bg_color": b.colour, "font_color": "#FFFFFF",
                                   "valign": "top"})
              for b in framework.bands},
    )


def _sheet(wb, name: str, headers: list[str], widths: list[float], f: Formats, *,
           start_row: int = 0, filters: bool = True, long: bool = False):
    """A sheet with its header row, frozen, filtered, and laid out for A4 landscape.

    Columns of long text wrap. On the summary sheets every column is also top-aligned; on the
    `long` sheets (a row per case or per answer: millions of cells) only the wrapping columns
    carry a style, since XlsxWriter writes a column's style into every cell of it, and a
    one-line cell looks the same either way."""
    ws = wb.add_worksheet(name)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(start_row)
    for i, w in enumerate(widths):
        ws.set_column(i, i, w, f.wrap if w >= 48 else None if long else f.top)
    ws.write_row(start_row, 0, headers, f.header)
    ws.freeze_panes(start_row + 1, 0)
    return ws


def _fit_row(ws, row: int, widths: list[float], values: list) -> None:
    """Give a row the height its longest wrapped text needs: constant-memory mode cannot autofit.

    Called before the row is written, as constant-memory mode requires.
    """
    lines = 1
    for width, value in zip(widths, values):
        if isinstance(value, str) and width >= 48:
            lines = max(lines, -(-len(value) // int(width * 1.1)))
    if lines > 1:
        ws.set_row(row, 15 * lines)


def _pct(value) -> float | None:
    return None if value is None else float(value) / 100


def write_workbook(conn: sqlite3.Connection, out: Path, *, progress: Progress | None = None,
                   include_restricted_notes: bool = False, reader: str | None = None) -> dict:
    """Write the data workbook to `out` (atomically), as `reader` may see the inspection.
    Returns what was written, for messages.

    The evidence notes and reasons of limited-access cases are left out unless the lead asks for
    them (the About sheet says so); a limited-access case the reader may not open shows its
    reference and nothing of what it says, though the figures count it.
    """
    with store.streaming(conn):
        return _write(conn, out, progress, include_restricted_notes, reader)


def _write(conn, out: Path, progress, include_restricted_notes: bool, reader: str | None) -> dict:
    from ..store.access import closed_to, restricted_refs

    import xlsxwriter
    from xlsxwriter.exceptions import FileCreateError

    from ..services import current_ratings

    inspection = store.require_inspection(conn)
    framework = inspection.framework()
    ratings = current_ratings(conn, framework)
    restricted = restricted_refs(conn)
    closed = closed_to(conn, reader)
    withheld = closed if include_restricted_notes else restricted
    total = store.case_count(conn) + answer_count(conn)
    done = 0

    def tick(n: int = 1) -> None:
        nonlocal done
        done += n
        if progress and (done % 500 == 0 or done == total):
            progress(done, total)

    with atomic_output(Path(out)) as tmp:
        # tmpdir: XlsxWriter's own temporary files (every note, in constant-memory mode) stay in
        # the export's private scratch folder, not the shared temporary folder.
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False,
                                            "strings_to_formulas": False, "strings_to_urls": False,
                                            "tmpdir": str(tmp.parent)})
        try:
            f = _formats(wb, framework)
            _about(wb, f, inspection, framework, ratings, len(restricted), include_restricted_notes)
            _ratings(wb, f, framework, ratings)
            _key_questions(wb, f, framework, ratings)
            _prompts(wb, f, framework, ratings, store.option_counts(conn, framework))
            _breakdowns_and_comparisons(wb, f, conn, framework)
            cells = _cases(wb, f, conn, framework, tick, closed)
            cells += _answers(wb, f, conn, framework, tick, withheld, closed)
            _moderation(wb, f, conn, framework, reader, withheld, closed)
            _framework(wb, f, framework)
            wb.close()
        except FileCreateError as exc:  # XlsxWriter's wrapper of the OSError of its last write
            raise (exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else
                   HmipError(f"{out}: could not write the workbook ({exc})")) from None
    if progress:
        progress(total, total)
    return {"path": out, "cases": ratings.extra["cases"]["sampled"], "case_and_answer_cells": cells}


# --- summary sheets --------------------------------------------------------------------


def _about(wb, f, inspection, framework, ratings: Ratings, restricted: int, included: bool) -> None:
    mod = ratings.extra.get("moderation", {})
    moderation_line = (f"{count(mod.get('open_conflicts', 0), 'conflict')} and "
                       f"{count(mod.get('disagreements', 0), 'second-reading disagreement')} open; "
                       f"{count(mod.get('awaiting_second_reading', 0), 'second reading')} to finish "
                       "(see the Moderation sheet)")
    ws = wb.add_worksheet("About")
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 1)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 90)
    ws.write(0, 0, f"Data workbook: {inspection.pdu}", f.title)
    cases = ratings.extra["cases"]
    rows = [
        ("Inspection", inspection.pdu),
        ("Region", inspection.region or ""),
        ("Fieldwork started", inspection.fieldwork_start or ""),
        ("Framework", f"{framework.title} ({framework.id} {framework.version})"),
        ("Cases sampled", cases["sampled"]),
        ("Cases complete", cases["complete"]),
        ("Figures", ratings.standing()),
        ("Moderation", moderation_line),
        ("Limited access cases", f"{restricted}: their evidence notes are "
                                 + ("included, at the lead inspector's request" if included
                                    else "left out of this workbook") if restricted else "none"),
        ("Score", f"{ratings.score} / {ratings.max_score}"),
        ("Overall rating", (ratings.overall.label if ratings.overall else "not yet rated")
                           + (" (provisional)" if ratings.provisional and ratings.overall else "")),
        ("Tool", f"hmip {__version__}"),
        ("Generated", datetime.now(timezone.utc).isoformat(timespec="seconds")),
        ("Method", "Percentages are of relevant cases judged Yes; 'not applicable' leaves the "
                   "denominator. A standard takes the band of its lowest key question; band edges "
                   "compare the exact percentage. Whole percentages round half up."),
        ("Small numbers", _small_numbers_line(framework)),
    ]
    for i, (k, v) in enumerate(rows, start=2):
        ws.write(i, 0, k, f.bold)
        ws.write(i, 1, v, f.wrap)


def _small_numbers_line(framework: Framework) -> str:
    rule = framework.small_numbers
    if rule.min_cases <= 1:
        return "Every group is shown, however few its cases."
    if rule.suppressed:
        return (f"In Breakdowns and Comparisons, a group with fewer than {rule.min_cases} relevant "
                "cases shows how many it has, and withholds its count of Yes, its percentage and "
                "any relative rate index.")
    return (f"In Breakdowns and Comparisons, a group with fewer than {rule.min_cases} relevant "
            "cases is marked as a small group: read its percentage with care.")


def _ratings(wb, f, framework: Framework, ratings: Ratings) -> None:
    ws = _sheet(wb, "Ratings", ["Domain", "Standard", "Rating", "Score", "Driven by key question",
                                "% Yes (driver)", "Fragile"], [8, 38, 24, 8, 22, 14, 10], f)
    row = 1
    for s in ratings.standards:
        if s.rated_by == "not_rated":
            continue
        driver = next((k for k in s.key_questions if k.id == s.driver), None)
        ws.write(row, 0, s.domain)
        ws.write(row, 1, f"{s.id} {s.title}")
        if s.rating:
            ws.write(row, 2, s.rating.label, f.band[s.rating.id])
            ws.write(row, 3, s.rating.score)
        else:
            ws.write(row, 2, "not yet rated")
        ws.write(row, 4, driver.id if driver else ("team judgement" if s.rated_by == "judgement" else ""))
        if driver is not None and driver.percent is not None:
            ws.write(row, 5, _pct(driver.percent), f.percent)
        ws.write(row, 6, "yes" if s.fragile else "")
        row += 1
    ws.write(row + 1, 1, "Score", f.bold)
    ws.write(row + 1, 2, f"{ratings.score} / {ratings.max_score}", f.bold)
    ws.write(row + 2, 1, "Overall rating", f.bold)
    if ratings.overall:
        ws.write(row + 2, 2, ratings.overall.label, f.band[ratings.overall.id])
    else:
        ws.write(row + 2, 2, "not yet rated: " + ", ".join(ratings.unrated))
    ws.write(row + 3, 1, "Figures", f.bold)
    ws.write(row + 3, 2, ratings.standing())


def _key_questions(wb, f, framework: Framework, ratings: Ratings) -> None:
    widths = [26, 12, 70, 7, 7, 7, 9, 9, 22]
    ws = _sheet(wb, "Key questions", ["Standard", "Key question", "Wording", "Yes", "No", "N/A",
                                      "Relevant", "% Yes", "Band"], widths, f)
    row = 1
    colours = []  # each bar in its band's colour, so the band edges show in the chart
    for s in ratings.standards:
        for k in s.key_questions:
            rated = s.rated_by != "not_rated" and k.band is not None
            colours.append({"fill": {"color": k.band.colour if rated else "#A6A6A6"}})
            values = [f"{s.id} {s.title}", k.id, k.text, k.yes, k.no, k.na, k.relevant]
            _fit_row(ws, row, widths, values)
            ws.write_row(row, 0, values)
            if k.percent is not None:
                ws.write(row, 7, _pct(k.percent), f.percent)
            if s.rated_by == "not_rated":
                ws.write(row, 8, "not rated (for information)")
            elif k.band:
                ws.write(row, 8, k.band.label, f.band[k.band.id])
            row += 1
    if row > 1:  # key-question percentages against the band edges
        chart = wb.add_chart({"type": "bar"})
        chart.add_series({"name": "% Yes", "categories": ["Key questions", 1, 1, row - 1, 1],
                          "values": ["Key questions", 1, 7, row - 1, 7],
                          "points": colours, "gap": 40})
        chart.set_title({"name": "Key questions: % of relevant cases judged Yes"})
        edges = ", ".join(f"{b.label} from {b.start:g}%" for b in framework.bands[1:])
        # Gridlines every 5% so the band edges (50, 65, 80 here) fall on a line.
        chart.set_x_axis({"min": 0, "max": 1, "num_format": "0%", "major_unit": 0.05,
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}},
                          "name": f"Band edges: {edges}"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": 480})
        ws.insert_chart(row + 2, 2, chart)


def _prompts(wb, f, framework: Framework, ratings: Ratings, options: dict) -> None:
    widths = [22, 12, 10, 60, 22, 9, 9, 7, 9, 8, 8, 48]
    ws = _sheet(wb, "Prompts and items", ["Standard", "Key question", "Id", "Wording", "Answer type",
                                          "Counted Yes", "Counted No", "N/A", "Relevant",
                                          "% Yes", "% No", "Each answer"], widths, f)
    results = {p.id: p for p in ratings.prompts}
    row = 1
    for s in framework.standards:
        for q in s.questions:
            if q.kind == "key_question":
                continue
            r = results[q.id]
            detail = "; ".join(f"{o.label} {options.get(q.id, {}).get(o.id, 0)}" for o in q.type.options)
            values = [f"{s.id} {s.title}", q.parent_id or "", q.id, q.text, q.type.label,
                      r.yes, r.no, r.na, r.relevant]
            _fit_row(ws, row, widths, values + [None, None, detail])
            ws.write_row(row, 0, values)
            if r.relevant:
                ws.write(row, 9, r.yes / r.relevant, f.percent)
                ws.write(row, 10, r.no / r.relevant, f.percent)
            ws.write(row, 11, detail)
            row += 1
    ws.autofilter(0, 0, max(row - 1, 1), 11)


def _breakdowns_and_comparisons(wb, f, conn, framework: Framework) -> None:
    groupings = {b: framework.grouping(b) for b in framework.breakdowns}
    for c in framework.comparisons:
        groupings.setdefault(c.by, framework.grouping(c.by))
    # One pass over the kept tallies for every grouping at once.
    split = store.tallies_by(conn, framework, groupings)
    splits = {gid: breakdown(framework, g, split[gid]) for gid, g in groupings.items()}
    texts = {k.id: k.text for s in framework.standards for k in s.key_questions}

    rule = framework.small_numbers
    small_note = (f"fewer than {rule.min_cases} relevant cases: "
                  + ("withheld" if rule.suppressed else "read with care"))
    widths = [24, 30, 12, 60, 7, 12, 9, 30]
    ws = _sheet(wb, "Breakdowns", ["Split by", "Group", "Key question", "Wording", "Yes",
                                   "Relevant (n)", "% Yes", "Small group"], widths, f)
    row = 1
    for gid in framework.breakdowns:
        b = splits[gid]
        labels = {g.id: g.label for g in b.grouping.groups}
        for cell in b.cells:
            values = [b.grouping.label, labels[cell.group], cell.question, texts[cell.question],
                      cell.shown_yes, cell.relevant]
            _fit_row(ws, row, widths, values)
            ws.write_row(row, 0, values)
            if cell.shown_percent is not None:
                ws.write(row, 6, _pct(cell.shown_percent), f.percent)
            if cell.small:
                ws.write(row, 7, small_note)
            row += 1
    ws.autofilter(0, 0, max(row - 1, 1), 7)

    ws = _sheet(wb, "Comparisons", ["Compared by", "Group", "Reference group", "Key question",
                                    "Group yes", "Group n", "Group % Yes", "Reference yes",
                                    "Reference n", "Reference % Yes", "Relative rate index",
                                    "Threshold", "Substantial", "Small group"],
                [20, 18, 18, 12, 9, 8, 10, 10, 10, 12, 12, 10, 12, 30], f)
    row = 1
    threshold = framework.relative_rate_threshold
    for rr in comparisons(framework, splits):
        labels = {g.id: g.label for g in splits[rr.by].grouping.groups}
        ws.write_row(row, 0, [splits[rr.by].grouping.label, labels[rr.group], labels[rr.reference],
                              rr.question, rr.group_cell.shown_yes, rr.group_cell.relevant])
        if rr.group_cell.shown_percent is not None:
            ws.write(row, 6, _pct(rr.group_cell.shown_percent), f.percent)
        ws.write_row(row, 7, [rr.reference_cell.shown_yes, rr.reference_cell.relevant])
        if rr.reference_cell.shown_percent is not None:
            ws.write(row, 9, _pct(rr.reference_cell.shown_percent), f.percent)
        if rr.rri is not None:
            ws.write(row, 10, round(float(rr.rri), 3))
        ws.write(row, 11, f"≥ {threshold:g} or ≤ {1 / threshold:.2f}")
        ws.write(row, 12, "SUBSTANTIAL" if rr.substantial else "", f.bold)
        if rr.small:
            ws.write(row, 13, ("not compared: " if rr.suppressed else "") + small_note)
        row += 1
    ws.autofilter(0, 0, max(row - 1, 1), 13)


# --- case-level sheets (streamed) --------------------------------------------------------


def _cases(wb, f, conn, framework: Framework, tick, closed: set[str]) -> int:
    """One row per case: profile, then every answer (labels); question ids in a second header row."""
    questions = list(framework.questions.values())
    profile = list(framework.profile)
    labels = ["Case", "Inspector", "Status", *[p.label for p in profile],
              *[f"{q.id} {q.text}" for q in questions]]
    codes = ["ref", "inspector", "status", *[p.id for p in profile], *[q.id for q in questions]]
    ws = _sheet(wb, "Cases", labels, [12, 10, 12, *[16] * len(profile), *[14] * len(questions)], f, long=True)
    ws.write_row(1, 0, codes, f.bold)
    ws.freeze_panes(2, 1)
    row, cells = 2, 0
    for case, answers in cases_with_answers(conn):
        if case["ref"] in closed:
            ws.write_row(row, 0, [case["ref"], "", WITHHELD])
            cells += 3
            row += 1
            tick()
            continue
        p = case["profile"]
        values = [case["ref"], case["inspector"] or "", case["status"],
                  *[field.label_of(p.get(field.id)) for field in profile]]
        for q in questions:
            a = answers.get(q.id)
            option = q.type.option(a[0]) if a else None
            values.append(option.label if option else "")
        ws.write_row(row, 0, values)
        cells += len(values)
        row += 1
        tick()
    ws.autofilter(1, 0, max(row - 1, 2), len(codes) - 1)
    return cells


WITHHELD = "(withheld: limited access case)"
# An answer kept for a question that no longer applies to its case (its profile changed since).
NOT_COUNTED = "does_not_apply"


def _answers(wb, f, conn, framework: Framework, tick, withheld: set[str], closed: set[str]) -> int:
    ws = _sheet(wb, "Answers", ["Case", "Question", "Value", "Answer", "Counts as", "Evidence note",
                                "Answered by", "Answered at"], [12, 10, 14, 26, 10, 70, 12, 26], f, long=True)
    row, cells = 1, 0
    for ref, qid, value, note, by, at, applies in answer_rows(conn):
        q = framework.questions.get(qid)
        option = q.type.option(value) if q else None
        if ref in closed:
            ws.write_row(row, 0, [ref, qid, WITHHELD])
            cells -= 5  # three written, not eight
        else:
            if ref in withheld and note:
                note = WITHHELD
            ws.write_row(row, 0, [ref, qid, value, option.label if option else "",
                                  NOT_COUNTED if not applies else option.counts_as if option else "",
                                  fit_cell(note or "", "the answers CSV (hmip export csv)"), by or "", at])
        row += 1
        cells += 8
        tick()
    ws.autofilter(0, 0, max(row - 1, 1), 7)
    return cells


def _moderation(wb, f, conn, framework: Framework, reader: str | None, withheld: set[str],
                closed: set[str]) -> None:
    """Agreement between first and second readers, the conflicts, and the audit trail, as the
    reader may see them: nothing of a limited-access case they may not open, and no note or
    reason of one whose notes are withheld."""
    from ..services.moderation import audit_trail, moderation_status
    from ..store.moderation import conflicts, pairs

    status = moderation_status(conn, framework, reader)
    ws = _sheet(wb, "Moderation", ["Agreement", "Id", "Pairs (n)", "Agreed", "% agreement",
                                   "Cohen's kappa", "PABAK", "Gwet's AC1"], [22, 12, 10, 10, 14, 14, 10, 12], f)
    row = 1
    for level, figures in (("standard", status["agreement"]["standards"]),
                           ("key question", status["agreement"]["key_questions"])):
        for qid, a in figures.items():
            ws.write_row(row, 0, [level, qid, a["n"], a["agreed"]])
            if a["percent"] is not None:
                ws.write(row, 4, a["percent"] / 100, f.percent)
            ws.write(row, 5, "undefined" if a["kappa"] is None and a["n"] else a["kappa"])
            ws.write(row, 6, a["pabak"])
            ws.write(row, 7, a["ac1"])
            row += 1
    row += 1
    ws.write_row(row, 0, ["Second reading", "Case", "Question", "First reader", "Second reader",
                          "Settled", "Reason"], f.header)
    row += 1
    for p in pairs(conn, framework):
        if p.case_ref in closed:
            ws.write_row(row, 0, ["", p.case_ref, p.question, WITHHELD])
        else:
            ws.write_row(row, 0, ["agree" if p.agree else "differ", p.case_ref, p.question, p.first or "",
                                  p.second or "", p.settled or "",
                                  "" if p.case_ref in withheld else fit_cell(p.reason or "", "hmip audit")])
        row += 1
    row += 1
    ws.write_row(row, 0, ["Conflict", "Case", "Question", "Readings", "Settled", "Reason"], f.header)
    row += 1
    for c in conflicts(conn, open_only=False):
        if c.case_ref in closed:
            ws.write_row(row, 0, [f"#{c.id}", c.case_ref, c.field, WITHHELD])
        else:
            readings = "; ".join(f"{h.value} ({h.author or 'unknown'})" for h in c.heads)
            ws.write_row(row, 0, [f"#{c.id}", c.case_ref, c.field, readings or "",
                                  c.settled_value or "open",
                                  "" if c.case_ref in withheld else fit_cell(c.settled_reason or "", "hmip audit")])
        row += 1
    row += 1
    ws.write_row(row, 0, ["Audit trail: when", "Who", "What", "Case", "Question", "From", "To",
                          "Reason or detail"], f.header)
    row += 1
    ws.write(row, 0, "Every change after a first answer, and every moderation step; first answers "
                     "are on the Answers sheet, and hmip audit lists everything.")
    row += 1
    for e in audit_trail(conn, None, reader, first_values=False).lines:
        said = "" if e.case_ref in withheld else e.reason or e.detail or ""
        ws.write_row(row, 0, [e.at, e.by or "", e.kind, e.case_ref or "", e.question or "",
                              e.old_value or "", e.new_value or "", fit_cell(said, "hmip audit")])
        row += 1


def _framework(wb, f, framework: Framework) -> None:
    widths = [24, 10, 13, 70, 24, 50, 12, 50]
    ws = _sheet(wb, "Framework", ["Standard", "Id", "Kind", "Wording", "Answer type", "Options",
                                  "Evidence note", "Applies when"], widths, f)
    row = 1
    for s in framework.standards:
        if not s.questions:
            ws.write_row(row, 0, [f"{s.id} {s.title}", s.id, "standard", s.statement,
                                  "team judgement" if s.rated_by == "judgement" else "", "", "", ""])
            row += 1
            continue
        for q in s.questions:
            applies = "; ".join(f"{c.field} in {', '.join(sorted(c.values))}" for c in q.conditions)
            values = [f"{s.id} {s.title}", q.id, q.kind.replace("_", " "), q.text, q.type.label,
                      "; ".join(f"{o.id}: {o.label}" for o in q.type.options),
                      "required" if q.note_required else "optional", applies or "all cases"]
            _fit_row(ws, row, widths, values)
            ws.write_row(row, 0, values)
            row += 1
    ws.autofilter(0, 0, row - 1, 7)
