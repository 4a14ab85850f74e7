"""`check`'s verdicts: a line per spec and the failures under it (text), the `--json`
object, and a Markdown summary for a pull-request comment or `$GITHUB_STEP_SUMMARY`."""

from __future__ import annotations

import json

from ..errors import brief
from ..gate import Judged, Outcome, by_how_much, report_macs

SYMBOL = {"<": "<", "<=": "≤", "==": "=", ">=": "≥", ">": ">", "!=": "≠"}
NEGATED = {"<": "≥", "<=": ">", "==": "≠", ">=": "<", ">": "≤", "!=": "="}
MARK = {"passed": "PASS", "failed": "FAIL", "invalid": "ERROR"}
EMOJI = {"passed": "✅", "failed": "❌", "invalid": "⚠️"}


def value_text(value) -> str:
    """25557032 -> '25,557,032'; (2048, 7, 7) -> '2048x7x7'."""
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def failure_text(o: Outcome, where: bool = True) -> str:
    """`params 25,557,032 > 25,000,000 (--max-params 25M): 557,032 over (2.2%)`; without
    `where` (the message is located already) the budget's text is left out."""
    b = o.budget
    written = f" (line {b.span.line}: {b.text})" if b.span else f" ({b.text})"
    gap = by_how_much(o)
    return (f"{b.what} {value_text(o.actual)} {NEGATED[b.op]} {value_text(b.value)}"
            f"{written if where else ''}{': ' + gap if gap else ''}")


def spec_name(spec: str) -> str:
    """A spec as a verdict names it: its path, or its text on one line, cut short."""
    return brief(spec)


def summary_line(judged: list[Judged]) -> str:
    counts = {v: sum(j.verdict == v for j in judged) for v in MARK}
    return (f"{len(judged)} spec{'s' if len(judged) != 1 else ''}: {counts['passed']} "
            f"passed, {counts['failed']} failed, {counts['invalid']} invalid")


def _checked(j: Judged) -> str:
    if j.error:
        return "invalid"
    if j.failures:
        n = len(j.failures)
        return f"{n} of {len(j.outcomes)} budget{'s' if len(j.outcomes) != 1 else ''} failed"
    return f"{len(j.outcomes)} budget{'s' if len(j.outcomes) != 1 else ''} met"


def text(judged: list[Judged]) -> str:
    """One line per spec, each failure indented under it, then the count. (An invalid
    spec's located error goes to standard error, from the command.)"""
    lines = []
    for j in judged:
        lines.append(f"{MARK[j.verdict]:5} {spec_name(j.spec)}: {_checked(j)}")
        lines.extend(f"      {failure_text(o)}" for o in j.failures)
    lines.append(summary_line(judged))
    return "\n".join(lines)


def to_dict(judged: list[Judged]) -> dict:
    def shown(value):
        return list(value) if isinstance(value, tuple) else value

    def plain(value):
        if isinstance(value, tuple):
            return [plain(v) for v in value]
        return value if isinstance(value, int) else str(value)

    return {
        "specs": [{"spec": j.spec, "ok": j.verdict == "passed",
                   "failures": [{"what": o.budget.what, "op": o.budget.op,
                                 "actual": plain(o.actual), "budget": shown(o.budget.value),
                                 "text": o.budget.text,
                                 "line": o.budget.span.line if o.budget.span else None}
                                for o in j.failures],
                   "error": j.error.render() if j.error else None}
                  for j in judged],
        "passed": sum(j.verdict == "passed" for j in judged),
        "failed": sum(j.verdict == "failed" for j in judged),
        "invalid": sum(j.verdict == "invalid" for j in judged),
    }


def as_json(judged: list[Judged]) -> str:
    return json.dumps(to_dict(judged), ensure_ascii=False, indent=2)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def markdown(judged: list[Judged]) -> str:
    """A heading with the count, a table of the specs, then each failure and error."""
    lines = [f"### cnncalc check: {summary_line(judged)}", "",
             "| | spec | params | MACs | output | verdict |", "|---|---|---:|---:|---|---|"]
    for j in judged:
        t = j.report.totals if j.report else None
        figures = ([value_text(t.params), value_text(report_macs(j.report)),
                    value_text(tuple(j.report.display_shape(t.output_shape)))]
                   if t else ["", "", ""])
        lines.append(f"| {EMOJI[j.verdict]} | `{_cell(spec_name(j.spec))}` | " + " | ".join(figures)
                     + f" | {_checked(j)} |")
    for j in judged:
        if j.failures:
            lines += ["", f"**{_cell(spec_name(j.spec))}**", ""]
            lines += [f"- {_cell(failure_text(o))}" for o in j.failures]
        elif j.error:
            lines += ["", f"**{_cell(spec_name(j.spec))}** is invalid:", "", "```",
                      j.error.render(), "```"]
    return "\n".join(lines) + "\n"
