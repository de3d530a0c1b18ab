"""The decision memo of a study: the first screen of its report.

It answers, in this order: what to decide, the recommendation and why in money against
the current plans, the risk against the budget, who wins and loses, and how sure we are:
the recommended design against the runner-up on the objective, year by year on the same
simulated years (`spmsim.studies.paired`), with a "too close to call" warning when the 95 %
interval of the mean difference includes zero.
"""

from __future__ import annotations

from spmsim.format import compact_money, count, label, percent, signed_money
from spmsim.report.studyview import (
    READER,
    StudyView,
    budget_of,
    comparison,
    constraint_text,
    esc,
    fmt,
    fmt_change,
    name_of,
    objective_of,
    recommended,
    summary_row,
)
from spmsim.studies.describe import variant_sentence
from spmsim.studies.paired import Difference


def how_sure(view: StudyView, diff: Difference | None = None) -> str:
    """The paragraph on how sure we are, with the 'too close to call' warning when the 95 %
    interval of the mean advantage includes zero."""
    diff = diff if diff is not None else comparison(view)
    if diff is None:
        return ""
    metric, _, _ = objective_of(view)
    what = READER[metric][0].split(" (")[0].lower()
    cur = view.currency
    f = lambda v: fmt_change(metric, v, cur)  # noqa: E731
    rec, other = esc(name_of(view, diff.better)), esc(name_of(view, diff.other))
    n = f"{diff.n:,} simulated years"
    if diff.identical:
        text = (f"<b>{rec}</b> and <b>{other}</b> give the same {what} in every one of the "
                f"{n}: nothing in the simulation tells them apart.")
        return _warning("Too close to call", text)
    if diff.paired:
        body = (f"Against the runner-up, <b>{other}</b>, on the same {n}: {what} "
                f"{f(diff.mean)} a year on average (95 % interval {f(diff.low)} to "
                f"{f(diff.high)}); in a single year between {f(diff.p10)} and {f(diff.p90)} "
                f"(8 years in 10). <b>{rec}</b> comes out ahead in "
                f"{percent(diff.prob_better, 0)} of the years.")
    else:
        body = (f"Against the runner-up, <b>{other}</b>: {what} {f(diff.mean)} a year on "
                f"average (95 % interval {f(diff.low)} to {f(diff.high)}). The variants ran "
                "on independent draws, so single years cannot be compared; with "
                "<code>common_draws: true</code> (the default) they would be.")
    if not diff.too_close:
        return f"<p class=\"spmsim-sure\"><b>How sure we are.</b> {body}</p>"
    need = diff.trials_needed
    more = (f" About {need:,} trials a variant would separate them if the difference stays "
            "this size." if need else " No number of trials would separate them.")
    return _warning("Too close to call", f"{body} At {diff.n:,} trials the difference could "
                    f"be zero or go the other way: treat the two as equal on {what} and "
                    f"decide on other grounds.{more}")


def _warning(title: str, text: str) -> str:
    return (f"<div class=\"spmsim-warning\" role=\"note\"><b>{esc(title)}.</b> {text}</div>")


def winners_sentence(view: StudyView, variant: str) -> str:
    """Last year's reps who would earn more or less under `variant` than today."""
    if view.changes is None or variant == view.baseline:
        return ""
    rows = view.changes[view.changes["variant"] == variant]
    if rows.empty:
        return ""
    wins, loses = int((rows["outcome"] == "wins").sum()), int((rows["outcome"] == "loses").sum())
    if not wins and not loses:
        return (f"Replaying last year's deals, no rep's pay changes ({count(len(rows), 'rep')} "
                "compared): the change is in quotas or headcount, not in the plans.")
    return (f"Replaying last year's deals, {count(wins, 'rep')} would have earned more and "
            f"{count(loses, 'rep')} less ({count(len(rows), 'rep')} compared; pay "
            f"{signed_money(float(rows['change'].sum()), view.currency)} in total).")


def memo(view: StudyView) -> str:
    """The decision memo: the first screen of the report (HTML, names escaped)."""
    spec, cur = view.spec, view.currency
    rec, base = recommended(view), view.baseline
    metric, _, _ = objective_of(view)
    constraints = spec.get("constraints", [])
    rules = "; ".join(constraint_text(c) for c in constraints)
    facts = (f"{count(len(view.variants), 'design')} compared on "
             f"{view.meta.get('trials') or view.results[base].n_trials:,} simulated years each; "
             f"seed {view.seed}")
    parts = [f"<header class=\"spmsim-memo-head\"><h1>{esc(view.name)}</h1>"
             f"<p class=\"spmsim-facts\">Decision memo · {esc(facts)}</p></header>"]
    question = spec.get("description", "").strip()
    goal = ("the most " if objective_of(view)[2] == "max" else "the least ") + \
        READER[metric][0].split(" (")[0].lower()
    parts.append("<h2>The decision</h2><p>" + (esc(question) + " " if question else "") +
                 f"The rule: among the designs that meet every constraint ({esc(rules or 'none')}"
                 f"), choose {esc(goal)}.</p>")
    if rec is None:
        parts.append(_warning("No design meets every constraint",
                              f"None of the {len(view.variants)} designs keeps {esc(rules)}. "
                              "Relax a constraint or add a design; the table below shows "
                              "which constraint each misses."))
        return "<section class=\"spmsim-memo\">" + "".join(parts) + "</section>"
    r, b = summary_row(view, rec), summary_row(view, base)
    budget, stated = budget_of(view, rec)
    verb = f"Keep the current plans ({esc(label(rec))})" if rec == base else \
        f"Adopt {esc(label(rec))}"
    headline = f"<h2 class=\"spmsim-rec\">Recommendation: {verb}</h2>"
    money = [f"profit after comp {fmt('profit_after_comp', r['profit_after_comp'], cur)} a "
             "year on average",
             f"variable pay {fmt('variable_pay_p50', r['variable_pay_p50'], cur)} in a "
             f"typical year ({fmt('variable_pay_p90', r['variable_pay_p90'], cur)} one year "
             "in ten)",
             f"cost of sales {fmt('cost_of_sales', r['cost_of_sales'])}",
             f"{fmt('share_at_quota', r['share_at_quota'])} of reps at quota"]
    why = "Why, in money: " + ", ".join(money) + "."
    if rec != base:
        d = lambda m: fmt_change(m, r[m] - b[m], cur)  # noqa: E731
        deltas = [f"profit {d('profit_after_comp')}", f"variable pay {d('variable_pay_p50')}",
                  f"cost of sales {d('cost_of_sales')}"]
        why += " Against the current plans: " + ", ".join(deltas) + "."
        why += " What changes: " + variant_sentence(view.results[base].scenario,
                                                     view.results[rec].scenario)
    budget_words = (f"the {compact_money(budget, cur)} variable comp budget" if stated else
                    f"the on-target incentive of the reps in seat ({compact_money(budget, cur)}"
                    ", no budget stated)")
    risk = (f"Risk: variable pay exceeds {budget_words} in "
            f"{percent(r['p_over_budget'])} of simulated years.")
    if rec != base:
        risk += f" Under the current plans: {percent(b['p_over_budget'])}."
    parts += [headline, f"<p>{esc(why)}</p>", f"<p>{esc(risk)}</p>"]
    who = winners_sentence(view, rec)
    if rec == base and view.changes is not None:
        who = "keeping the current plans changes no rep's pay."
    if who:
        parts.append(f"<p>Who wins and loses: {esc(who)}</p>")
    parts.append(how_sure(view))
    return "<section class=\"spmsim-memo\">" + "".join(parts) + "</section>"
