"""Prompt templates of the `PlanDecomposer` (langchain-core `PromptTemplate`s, f-string format).

The plan format is least-to-most / DecomP style JSON: subquestions numbered 1..n, each may use the answers of
earlier ones by writing `#N` in its text and listing N in `depends_on`. langchain-core is the `llm` extra, so this
module (and `decomposers`, which imports it) is not imported by `decomposition/__init__`.
"""

from __future__ import annotations

from collections.abc import Sequence

from langchain_core.prompts import PromptTemplate

# Markers the templates contain, so scripted servers (tests, benchmarks) can tell the kinds of prompt apart.
PLAN_MARKER = "Reply with the plan as JSON only"
RETRY_MARKER = "Your previous plan was rejected"
RECOMPOSE_MARKER = "Subquestions and their answers:"
ANSWER_MARKER = "Answer the question concisely."

_PLAN = """Break the question below into simpler subquestions. Each subquestion is answered separately, then \
their answers are combined to answer the question.

Rules:
- """ + PLAN_MARKER + """, in this form:
  {{"subquestions": [{{"id": 1, "text": "...", "depends_on": []}}, {{"id": 2, "text": "... #1 ...", \
"depends_on": [1]}}]}}
- Number the subquestions 1, 2, 3, ... A subquestion may use the answer of an earlier subquestion N by \
writing #N in its text and listing N in its "depends_on".
- At most {max_subquestions} subquestions; a chain of subquestions that depend on each other is at most \
{max_depth} long.
- No subquestion may repeat the question itself.
- If the question is simple enough to answer directly, reply {{"subquestions": []}}.

Question: {question}"""

PLAN_TEMPLATE = PromptTemplate.from_template(_PLAN + "\nJSON:")

RETRY_TEMPLATE = PromptTemplate.from_template(
    _PLAN + "\n\n" + RETRY_MARKER + """. It was:
{previous}

Reason: {error}
Reply with a corrected plan.
JSON:""")

ANSWER_TEMPLATE = PromptTemplate.from_template(ANSWER_MARKER + "\n\nQuestion: {question}\nAnswer:")

RECOMPOSE_TEMPLATE = PromptTemplate.from_template(
    """Answer the question using the answers to its subquestions.

Question: {question}

""" + RECOMPOSE_MARKER + """
{subanswers}

Reply with the answer only.
Answer:""")


def plan_prompt(question: str, max_subquestions: int, max_depth: int) -> str:
    return PLAN_TEMPLATE.format(question=question, max_subquestions=max_subquestions, max_depth=max_depth)


def retry_prompt(question: str, previous: str, error: str, max_subquestions: int, max_depth: int) -> str:
    """The plan prompt again, with the rejected reply and the reason shown so the model can fix it."""
    return RETRY_TEMPLATE.format(question=question, previous=previous, error=error,
                                 max_subquestions=max_subquestions, max_depth=max_depth)


def answer_prompt(question: str) -> str:
    """How a (sub)question is put to the model; shared by subquestions and direct answers so the memo matches."""
    return ANSWER_TEMPLATE.format(question=question)


def recompose_prompt(question: str, subanswers: Sequence[tuple[str, str]]) -> str:
    """`subanswers`: (subquestion text, its answer) in plan order, shown numbered as in the plan."""
    lines = "\n".join(f"{i}. {text}\n   Answer: {answer.strip()}" for i, (text, answer) in
                      enumerate(subanswers, start=1))
    return RECOMPOSE_TEMPLATE.format(question=question, subanswers=lines)
