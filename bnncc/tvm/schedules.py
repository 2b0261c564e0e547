"""Schedules of bnncc's kernels (the PrimFuncs marked `bnncc.kernel`) for CUDA GPUs.

Every kernel is first marked opaque, so that Relax's operator fusion leaves it whole; on CUDA it
is then scheduled here and marked `tirx.is_scheduled`, so that DLight (which schedules the float
operators) leaves it alone. On CPUs the kernels keep TVM's default loop nests.

The binary convolution (`kernels.binary_conv`, stages pop -> out / pack) is a GEMM of output
pixels x output channels over the reduction r = (kh, kw, word), computed as:

* one thread per output pixel and packed word of output channels (64 channels, or all of them
  when there are fewer): the 64 accumulators live in registers, so the output stage -- the
  threshold decisions ORed into the pixel's packed word, and/or the affine map (+ residual)
  stored as NCHW floats -- runs in the thread that summed them: no shared accumulator array, no
  synchronisation, and the accumulator never reaches global memory;
* a block is up to 128 such threads on neighbouring pixels of one image (the samples of the
  batch for 1x1 outputs: dense layers) and one word of channels; the word's weights for all of r
  (64 x R x 8 bytes, in chunks of r when that passes 32 KB) are fetched into shared memory by the
  block's threads together, and every thread then reads the same weight word at the same time
  (a broadcast);
* per word of r, a thread loads one input word (neighbouring threads: neighbouring pixels) and
  does 64 xor + popcount + add with it; with zero padding the word's tap mask (all ones, or 0
  for a tap outside the map) is ANDed after the XOR, computed once per word, so the 64-channel
  loop is straight-line code: per 64-bit channel word 2 LOP3 (xor), 2 SEL (mask), 2 POPC and
  1 IADD3, and one LDS.128 (a broadcast) per two weight words (nvcc 13, sm_90).

With `lower_graph(..., tensor_cores=True)` the layers that qualify (`tensor_cores.eligible`) get
`pop` from the 1-bit MMA as a kernel of its own (written channel-major to global memory); their
output stages then run as one thread per output (`_schedule_output_stages`).

POPC issues at 16 per clock per SM on sm_70..sm_90 against 64 for logic and integer adds, so the
loop is bound by popcounts: the loads (1 global + 64 shared broadcasts per 64 popcounts of 64
bits, 128 POPC instructions) stay under it.
"""
from __future__ import annotations

from dataclasses import dataclass

import tvm
from tvm import s_tir, tirx

from .kernels import KERNEL_ATTR

OPAQUE = 8                   # relax OpPatternKind::kOpaque: FuseOps leaves the function whole
THREADS = 256                # threads of the element-wise kernels' blocks
WEIGHT_TILE_BYTES = 32768    # weights of a block's channels kept whole in shared memory up to this
DATA_PARALLEL = 0            # tirx IterVar kind of a spatial block iterator


@dataclass(frozen=True)
class ConvTiling:
    """Tile sizes of one binary convolution (see the module docstring)."""

    threads: int     # output pixels per block, one per thread
    channels: int    # output channels per thread (one packed word: 64, or fewer in all)
    words: int       # words of r per shared weight tile (r itself when it fits)


def conv_tiling(pixels: int, channels: int, reduction: int) -> ConvTiling:
    """Tile sizes for a layer with `pixels` output pixels per image (1: the batch is tiled),
    `channels` outputs and `reduction` words of r."""
    threads = 128 if pixels == 1 else min(128, -(-pixels // 32) * 32)
    per_thread = min(64, channels)
    words = reduction
    while per_thread * words * 8 > WEIGHT_TILE_BYTES and words > 1:
        words = -(-words // 2)
    return ConvTiling(threads=threads, channels=per_thread, words=words)


def schedule_pass(target: tvm.target.Target, gpu_schedules: bool = True) -> tvm.transform.Pass:
    """Mark bnncc kernels opaque and, for CUDA, schedule them (gpu_schedules False: leave them to
    DLight's default schedules, the reference point the GPU check compares against)."""
    gpu = target.kind.name == "cuda" and gpu_schedules

    @tvm.transform.module_pass(opt_level=0, name="bnncc_schedule_kernels")
    def run(module: tvm.IRModule, _context) -> tvm.IRModule:
        updated = {}
        for gvar, function in module.functions.items():
            if isinstance(function, tirx.PrimFunc) and function.attrs is not None and KERNEL_ATTR in function.attrs:
                function = function.with_attr("op_pattern", OPAQUE)
                if gpu:
                    function = schedule_gpu(function).with_attr("tirx.is_scheduled", True)
                updated[gvar] = function
        for gvar, function in updated.items():
            module[gvar] = function
        return module

    return run


def float_conv_pass() -> tvm.transform.Pass:
    """Schedule the float convolutions that DLight would take as a matmul (TOPI's conv2d_nchw with
    a window larger than 1x1: the stem) as a direct convolution (`_schedule_float_conv`); run after
    FuseTIR, before DLight, on CUDA. Each output keeps TOPI's sequential sum over (rc, ry, rx), the
    order DLight's matmul schedule also adds in, so the results are the same floats."""

    @tvm.transform.module_pass(opt_level=0, name="bnncc_schedule_float_convs")
    def run(module: tvm.IRModule, _context) -> tvm.IRModule:
        updated = {}
        for gvar, function in module.functions.items():
            if isinstance(function, tirx.PrimFunc) and not (function.attrs and "tirx.is_scheduled" in function.attrs):
                sch = s_tir.Schedule(function)
                names = _block_names(sch)
                if names[:2] == ["pad_temp", "conv2d_nchw"] and len(names) <= 3 and _schedule_float_conv(sch):
                    updated[gvar] = sch.mod["main"].with_attr("tirx.is_scheduled", True)
        for gvar, function in updated.items():
            module[gvar] = function
        return module

    return run


def _schedule_float_conv(sch: s_tir.Schedule) -> bool:
    """A thread computes 8 output channels x 4 neighbouring output columns of one output row (32
    accumulators in registers), summing over (rc, ry, rx) in TOPI's order, and applies a fused
    element-wise stage (a bias) to them; a block is one output row of one sample, all channels;
    the padded input rows it reads are staged in shared memory by all its threads; weights are
    read through the cache (a warp's threads share them).
    (Fewer columns where the row width needs it.) Returns False (nothing done) for shapes it does
    not tile: 1x1 windows, channels not a multiple of 8, rows too wide for one block."""
    conv = sch.get_sblock("conv2d_nchw")
    nn, ff, yy, xx, rc, ry, rx = sch.get_loops(conv)
    extents = [sch.get(loop).extent for loop in (ff, xx, ry, rx)]
    if not all(isinstance(e, tirx.IntImm) for e in extents):
        return False
    channels, width, kh, kw = (int(e) for e in extents)
    columns = next(c for c in (4, 2, 1) if width % c == 0)
    if kh * kw == 1 or channels % 8 or (channels // 8) * (width // columns) > 1024:
        return False
    f_outer, f_inner = sch.split(ff, [None, 8])
    x_outer, x_inner = sch.split(xx, [None, columns])
    sch.reorder(nn, yy, f_outer, x_outer, rc, ry, rx, f_inner, x_inner)
    block = sch.fuse(nn, yy)
    thread = sch.fuse(f_outer, x_outer)
    sch.bind(block, "blockIdx.x")
    sch.bind(thread, "threadIdx.x")
    for loop in (f_inner, x_inner):
        sch.unroll(loop)
    consumers = sch.get_consumers(conv)
    if consumers:                                # a fused element-wise stage (a bias): in the thread
        sch.set_scope(conv, 0, "local")
        store = consumers[0]
    else:
        store = sch.cache_write(conv, 0, "local")
    sch.reverse_compute_at(store, thread)
    for loop in _loops_below(sch, store, thread):
        sch.unroll(loop)
    sch.decompose_reduction(conv, rc)
    pad = sch.get_sblock("pad_temp")
    sch.compute_at(pad, block)
    sch.set_scope(pad, 0, "shared")
    _spread(sch, pad, sch.get_loops(pad)[1:], (channels // 8) * (width // columns))
    return True


def schedule_gpu(function: tirx.PrimFunc) -> tirx.PrimFunc:
    """The CUDA schedule of one bnncc kernel."""
    sch = s_tir.Schedule(function)
    if str(function.attrs[KERNEL_ATTR]) == "binary_conv":
        _schedule_binary_conv(sch)
    else:
        _schedule_by_outputs(sch)
    return sch.mod["main"]


def _block_names(sch: s_tir.Schedule) -> list[str]:
    """The names of the function's blocks, in order (TE names every stage)."""
    return [sch.get(b).name_hint for b in sch.get_child_blocks(sch.get_sblock("root"))]


def _has_block(sch: s_tir.Schedule, name: str) -> bool:
    try:
        sch.get_sblock(name)
        return True
    except Exception:        # tvm raises its own error type for a missing block
        return False


def _bind_spatial(sch: s_tir.Schedule, block, threads: int = THREADS):
    """One thread per point of the block's spatial loops (fused), THREADS per block; the
    reduction loops (if any) run inside each thread. For a block as TE made it, loop i drives
    iterator i. Returns the thread loop."""
    loops = sch.get_loops(block)
    kinds = [int(iv.iter_type) for iv in sch.get(block).iter_vars]
    spatial = [loop for loop, kind in zip(loops, kinds) if kind == DATA_PARALLEL]
    reduction = [loop for loop, kind in zip(loops, kinds) if kind != DATA_PARALLEL]
    if reduction:
        sch.reorder(*spatial, *reduction)
    fused = sch.fuse(*spatial) if len(spatial) > 1 else spatial[0]
    outer, inner = sch.split(fused, [None, threads])
    sch.bind(outer, "blockIdx.x")
    sch.bind(inner, "threadIdx.x")
    return inner


def _schedule_by_outputs(sch: s_tir.Schedule) -> None:
    """Element-wise and small-reduction kernels (threshold/pack, pools, affine maps, Sign, ...):
    one thread per output element. Intermediate element-wise stages (padding) are inlined; an
    intermediate reduction (a pool's window sum, MultiThreshold's count) is computed in a register
    by the thread of the output element that reads it; a reduction that is itself an output (a
    word's 64 bits) accumulates in a register and is stored once."""
    names = _block_names(sch)
    outputs = {sch.get(b).name_hint for b in sch.get_output_blocks(sch.get_sblock("root"))}
    for name in names:
        if name not in outputs and not _is_reduction(sch, sch.get_sblock(name)):
            try:
                sch.compute_inline(sch.get_sblock(name))
            except Exception:        # not inlinable (read by more than one output): its own kernel
                pass
    threads = {}
    for name in names:
        if _has_block(sch, name) and name in outputs:
            block = sch.get_sblock(name)
            threads[name] = _bind_spatial(sch, block)
            if _is_reduction(sch, block):
                _accumulate_in_registers(sch, block, threads[name])
    for name in reversed(names):
        if not _has_block(sch, name) or name in outputs:
            continue
        block = sch.get_sblock(name)
        readers = [sch.get(c).name_hint for c in sch.get_consumers(block)]
        if len(readers) == 1 and readers[0] in threads:
            sch.set_scope(block, 0, "local")
            sch.compute_at(block, threads[readers[0]])
        else:
            _bind_spatial(sch, block)


def _is_reduction(sch: s_tir.Schedule, block) -> bool:
    return any(int(iv.iter_type) != DATA_PARALLEL for iv in sch.get(block).iter_vars)


def _accumulate_in_registers(sch: s_tir.Schedule, block, loop) -> None:
    """A reduction block whose thread loop is `loop` accumulates in a register and stores once."""
    store = sch.cache_write(block, 0, "local")
    sch.reverse_compute_at(store, loop)


def _schedule_binary_conv(sch: s_tir.Schedule) -> None:
    """The schedule of the module docstring, on the stages pop, out and pack."""
    pop = sch.get_sblock("pop")
    if not sch.get(pop).iter_vars:               # pop made on the tensor cores: its own kernel
        _schedule_output_stages(sch)
        return
    batch, q, m, rkh, rkw, rj = sch.get_loops(pop)
    pixels, channels = int(sch.get(q).extent), int(sch.get(m).extent)
    reduction = int(sch.get(rkh).extent) * int(sch.get(rkw).extent) * int(sch.get(rj).extent)
    tiling = conv_tiling(pixels, channels, reduction)
    # threads over output pixels: of one image, or over the batch for 1x1 outputs (dense layers).
    # A tile that runs past the last pixel is guarded per thread: the inner loop has no branch
    # (the masked popcount of kernels.binary_conv_popcount), so nvcc hoists the guard out of it
    rows = sch.fuse(batch, q) if pixels == 1 else q
    tile, thread = sch.split(rows, [None, tiling.threads])
    word, lane = sch.split(m, [None, tiling.channels])
    r_outer, r_inner = sch.split(sch.fuse(rkh, rkw, rj), [None, tiling.words])
    if pixels == 1:
        sch.reorder(tile, word, thread, r_outer, r_inner, lane)
        block_x = tile
    else:
        sch.reorder(batch, tile, word, thread, r_outer, r_inner, lane)
        block_x = sch.fuse(batch, tile)
    sch.bind(block_x, "blockIdx.x")
    sch.bind(word, "blockIdx.y")
    sch.bind(thread, "threadIdx.x")
    sch.unroll(lane)
    sch.set_scope(pop, 0, "local")                   # the thread's accumulators: registers
    weights = sch.cache_read(pop, 1, "shared")       # the block's weights, fetched by all its threads
    sch.compute_at(weights, r_outer)
    _spread(sch, weights, _loops_below(sch, weights, r_outer), tiling.threads)
    word = sch.cache_read(pop, 0, "local")           # the input word of one r, for all 64 channels
    sch.compute_at(word, r_inner)
    sch.decompose_reduction(pop, r_outer)            # zero the accumulators before the r loop
    for name in ("out", "pack"):                     # the output stage, from the registers
        if not _has_block(sch, name):
            continue
        stage = sch.get_sblock(name)
        _flatten_pixels(sch, stage, name)
        sch.reverse_compute_at(stage, thread)
        for loop in _loops_below(sch, stage, thread):
            sch.unroll(loop)
        if name == "pack":
            _accumulate_in_registers(sch, stage, thread)


def _schedule_output_stages(sch: s_tir.Schedule) -> None:
    """The output stages after `pop` came from the tensor cores (kernels.binary_conv_popcount_mma,
    channel-major): one thread per float output, one per packed word (its 64 bits summed in a
    register); neighbouring threads read neighbouring pixels of `pop`."""
    for name in ("out", "pack"):
        if _has_block(sch, name):
            stage = sch.get_sblock(name)
            thread = _bind_spatial(sch, stage)
            if _is_reduction(sch, stage):
                _accumulate_in_registers(sch, stage, thread)


def _flatten_pixels(sch: s_tir.Schedule, stage, name: str) -> None:
    """Fuse an output stage's (oh, ow) loops into one pixel loop q = oh * OW + ow, the index of
    `pop`, so that the pixel a thread computed is one point of the stage's loops. Outputs keep
    the graph's layouts: out [N, M, OH, OW] (or [N, M]), pack [N, OH, OW, words]."""
    loops = sch.get_loops(stage)
    if name == "out" and len(loops) == 4:
        sch.fuse(loops[2], loops[3])
    elif name == "pack":
        sch.fuse(loops[1], loops[2])


def _loops_below(sch: s_tir.Schedule, block, loop) -> list:
    """The loops of `block` nested inside `loop`."""
    loops = sch.get_loops(block)
    outer = sch.get(loop)
    index = next(i for i, candidate in enumerate(loops) if sch.get(candidate).same_as(outer))
    return loops[index + 1:]


def _spread(sch: s_tir.Schedule, block, loops, threads: int):
    """Fuse `loops` and share them out over the block's threads; returns the thread loop."""
    fused = sch.fuse(*loops) if len(loops) > 1 else loops[0]
    _, thread = sch.split(fused, [None, threads])
    sch.bind(thread, "threadIdx.x")
    return thread
