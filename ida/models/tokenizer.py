"""The project's own word-level tokenizer, built from a task's vocabulary (no hub, no training).

Every task speaks in whitespace-separated tokens, so a word-level vocabulary is exact: no token is ever split,
and every answer the student can give is a sequence of task tokens followed by EOS.
"""

from __future__ import annotations

from tokenizers import Tokenizer
from tokenizers.models import WordLevel
from tokenizers.pre_tokenizers import WhitespaceSplit
from transformers import PreTrainedTokenizerFast

PAD, EOS, UNK = "[PAD]", "[EOS]", "[UNK]"
SPECIALS = (PAD, EOS, UNK)


def build_tokenizer(vocabulary: list[str]) -> PreTrainedTokenizerFast:
    """A fast tokenizer over `vocabulary` plus PAD/EOS/UNK; ids are stable for a given vocabulary order."""
    words = list(SPECIALS) + sorted(set(vocabulary) - set(SPECIALS))
    core = Tokenizer(WordLevel({w: i for i, w in enumerate(words)}, unk_token=UNK))
    core.pre_tokenizer = WhitespaceSplit()
    return PreTrainedTokenizerFast(tokenizer_object=core, pad_token=PAD, eos_token=EOS, unk_token=UNK)
