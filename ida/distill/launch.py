"""One distillation outside a run, for data-parallel training with `accelerate launch` (DDP; FSDP through an
accelerate config): every process trains on its share of each step (same global batch, same loss as one
process); the main process saves the checkpoint and `train_result.json`.

    accelerate launch --num_processes 8 -m ida.distill.launch \\
        --checkpoint runs/<id>/cycle-1/checkpoint --dataset runs/<id>/cycle-2/dataset.jsonl \\
        --config runs/<id>/config.yaml --out /tmp/M2 [--set distill.steps=200]

On a machine without CUDA, `accelerate launch --multi_gpu --num_processes 2 ...` (accelerate's torchrun launcher;
`--cpu` would start one process) or `torchrun --nproc_per_node 2 -m ida.distill.launch ...` run the processes,
which talk over gloo. The run's `model` and `distill` sections apply, so a pretrained
student keeps its prompt format and LoRA settings.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ida.distill.launch", description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkpoint", required=True, type=Path, help="the student to start from")
    parser.add_argument("--dataset", required=True, type=Path, help="a dataset.jsonl of a run's cycle")
    parser.add_argument("--out", required=True, type=Path, help="where the trained checkpoint goes")
    parser.add_argument("--config", type=Path, default=None, help="run config (YAML); default: built-in")
    parser.add_argument("--set", dest="overrides", action="append", default=[], help="a.b=c override")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    from accelerate import PartialState

    from ida.config import ConfigError, load_config
    from ida.distill.data import read_jsonl
    from ida.distill.trainer import train
    from ida.models.local import LocalModel

    try:
        config = load_config(args.config, args.overrides)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    model = LocalModel.load(args.checkpoint, version="student", cfg=config.model)
    result = train(model.model, model.tokenizer, read_jsonl(args.dataset), config.distill, seed=args.seed)
    import torch

    state = PartialState(cpu=not torch.cuda.is_available())
    if state.is_main_process:
        digest = model.save(args.out)
        summary = {"steps": result.steps, "final_loss": result.final_loss, "losses": result.losses,
                   "processes": state.num_processes, "checkpoint_sha256": digest, "seconds": result.seconds}
        (args.out / "train_result.json").write_text(json.dumps(summary, indent=1))
    state.wait_for_everyone()
    return 0


if __name__ == "__main__":
    sys.exit(main())
