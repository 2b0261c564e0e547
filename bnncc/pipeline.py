"""The pass pipeline: canonical ONNX -> packed binary graph, with optional per-stage dumps."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import onnx_ir as ir

from bnncc.passes.fold_channel_affines import FoldChannelAffinesPass
from bnncc.passes.fold_constants import FoldConstantsPass
from bnncc.passes.fuse_conv_pool import FuseConvPoolPass
from bnncc.passes.fuse_output_transforms import FuseOutputTransformsPass
from bnncc.passes.fuse_thresholds import FuseThresholdsPass
from bnncc.passes.lower_binary_layers import LowerBinaryLayersPass
from bnncc.passes.pack_activations import PackActivationsPass
from bnncc.passes.split_grouped_convs import SplitGroupedConvsPass

from bnncc.targets import FUSES_CONV_POOL, Target

from .frontend.importer import ImportedModel
from .report import ConversionReport


def stages(report: ConversionReport, target: Target | None = None) -> list[tuple[str, Callable[[], ir.passes.PassBase]]]:
    """(stage name, pass factory) in execution order; each stage's result can be dumped. The last
    stages depend on what the target's kernels fuse (no target: the portable ones)."""
    common = [
        ("fold_constants", FoldConstantsPass),
        ("split_grouped_convs", lambda: SplitGroupedConvsPass(report)),
        ("lower_binary_layers", lambda: LowerBinaryLayersPass(report)),
        ("fuse_thresholds", lambda: FuseThresholdsPass(report)),
        ("pack_activations", PackActivationsPass),
        ("fold_channel_affines", FoldChannelAffinesPass),
        ("fuse_output_transforms", lambda: FuseOutputTransformsPass(report)),
    ]
    if target is not None and target.has(FUSES_CONV_POOL):
        common.append(("fuse_conv_pool", FuseConvPoolPass))
    return common


def run_passes(imported: ImportedModel, report: ConversionReport, dump_dir: str | os.PathLike | None = None,
               progress: Callable[[str], None] | None = None, target: Target | None = None) -> ir.Model:
    """Run every stage (for `target`) in place on imported.model; returns the final graph."""
    model = imported.model
    if dump_dir is not None:
        Path(dump_dir).mkdir(parents=True, exist_ok=True)
        _dump(model, dump_dir, 0, "canonical")
    for index, (name, make_pass) in enumerate(stages(report, target), start=1):
        if progress:
            progress(name)
        make_pass()(model)
        if dump_dir is not None:
            _dump(model, dump_dir, index, name)
    return model


def _dump(model: ir.Model, folder, index: int, name: str) -> None:
    ir.save(model, os.path.join(folder, f"{index:02d}_{name}.onnx"))
