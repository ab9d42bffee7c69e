"""A stand-in for the parts of vLLM's offline API that `ida.models.vllm` uses (`LLM`, `SamplingParams`,
`inputs.TokensPrompt`, `distributed.parallel_state.cleanup_dist_env_and_memory`), answering with the real
checkpoint through transformers, greedily, token by token. Only for tests on machines without vLLM: it checks
the adapter's wiring (which checkpoint, which token ids, stop tokens, log-probs, shutdown), not vLLM itself."""

from dataclasses import dataclass, field

import torch

ENGINES: list = []  # every engine built, so a test can see reloads and shutdowns


@dataclass
class SamplingParams:
    temperature: float = 1.0
    max_tokens: int = 16
    logprobs: int | None = None
    seed: int | None = None
    stop_token_ids: list = field(default_factory=list)
    skip_special_tokens: bool = True


@dataclass
class Logprob:
    logprob: float


@dataclass
class CompletionOutput:
    text: str
    token_ids: list
    logprobs: list


@dataclass
class RequestOutput:
    prompt_token_ids: list
    outputs: list


class LLM:
    def __init__(self, model: str, tokenizer: str | None = None, **kwargs):
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.path, self.kwargs, self.closed = model, kwargs, False
        self.model = AutoModelForCausalLM.from_pretrained(model).eval()
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer or model)
        self.requests: list = []
        ENGINES.append(self)

    @torch.no_grad()
    def generate(self, prompts, sampling_params, use_tqdm=True):
        assert sampling_params.temperature == 0 and sampling_params.logprobs is not None
        out = []
        for p in prompts:
            ids = list(p["prompt_token_ids"])
            self.requests.append(ids)
            new, logprobs = [], []
            for _ in range(sampling_params.max_tokens):
                logp = self.model(input_ids=torch.tensor([ids + new])).logits[0, -1].float().log_softmax(-1)
                token = int(logp.argmax())
                new.append(token)
                logprobs.append({token: Logprob(float(logp[token]))})
                if token in sampling_params.stop_token_ids:
                    break
            out.append(RequestOutput(ids, [CompletionOutput(self.tokenizer.decode(new), new, logprobs)]))
        return out
