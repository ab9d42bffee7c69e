"""Does a task fit the student's context? Checked at run start, before the run dir exists.

A question whose prompt (facts included) leaves no room for the answer in `model.n_positions` does not fail
alone: the position embeddings raise an IndexError for its whole answering batch, so every example of the
cycle fails. The same for a reference answer the supervised baseline trains on, which fails only at the end
of the run. So every question is measured up front with the student's own tokenizer, and the first that does
not fit is a ValueError naming the question, its length and the limit.
"""

from __future__ import annotations

from ida.config import RunConfig
from ida.models.positions import check_positions
from ida.tasks import Task


def check_context_length(config: RunConfig, task: Task) -> None:
    """Raise ValueError (one line) for the first question, or baseline target, longer than the context allows."""
    from ida.models.tokenizer import build_tokenizer  # transformers: loaded only when a run starts

    check_positions(config, task)  # coupled positions need separators the task writes
    m = config.model
    train = task.questions("train")
    questions = train + task.questions("eval")
    if not questions:
        return
    tokenizer = build_tokenizer(task.vocabulary())
    lengths = [len(ids) for ids in tokenizer([q.prompt for q in questions])["input_ids"]]
    room = m.n_positions - m.max_answer_tokens  # greedy answers feed back up to max_answer_tokens tokens
    for q, n in zip(questions, lengths):
        if n > room:
            raise ValueError(f"model.n_positions: question {q.id!r} of task {task.name} is {n} tokens long (its "
                             f"facts included), more than the {room} that fit in model.n_positions="
                             f"{m.n_positions} with model.max_answer_tokens={m.max_answer_tokens}; shorten the "
                             "question or raise model.n_positions")
    if not config.eval.baseline:
        return
    targets = [(q, n, answer) for q, n in zip(train, lengths) if (answer := task.true_answer(q)) is not None]
    answer_ids = tokenizer([answer for _, _, answer in targets])["input_ids"] if targets else []
    for (q, n, _), ids in zip(targets, answer_ids):
        if (total := n + len(ids) + 1) > m.n_positions:
            raise ValueError(f"model.n_positions: question {q.id!r} of task {task.name} with its reference "
                             f"answer and EOS is {total} tokens, more than model.n_positions={m.n_positions} "
                             "(the supervised baseline trains on it); shorten it, raise model.n_positions or set "
                             "eval.baseline=false")
