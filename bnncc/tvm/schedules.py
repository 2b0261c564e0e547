"""Schedules of bnncc's kernels (the PrimFuncs marked `bnncc.kernel`) for CUDA GPUs.

Every kernel is first marked opaque, so that Relax's operator fusion leaves it whole; on CUDA it
is then scheduled here and marked `tirx.is_scheduled`, so that DLight (which schedules the float
operators) leaves it alone. On CPUs the kernels keep TVM's default loop nests.

The float convolution (`kernels.float_conv`, CUDA's lowering of ONNX Conv) is register-tiled in
fp32 on the CUDA cores (`_schedule_float_conv`).

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
from tvm.sym import detect_linear_equation

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


FLOAT_CONV_THREADS = 256          # most threads of a float conv block
FLOAT_STAGE_BYTES = 24576         # shared memory of one stage (input rows + weights of a chunk of rc)
FLOAT_CHANNELS = 8                # output channels per thread (two float4 loads of weights per tap)


@dataclass(frozen=True)
class FloatConvTiling:
    """Tile sizes of one float convolution (see `_schedule_float_conv`)."""

    columns: int     # neighbouring output columns per thread (FLOAT_CHANNELS channels each)
    rows: int        # output rows per block (all columns of them)
    channels: int    # output channels per block (blockIdx.y takes the groups of them)
    chunk: int       # input channels per shared stage

    def threads(self, out_w: int) -> int:
        return self.channels // FLOAT_CHANNELS * self.rows * (out_w // self.columns)


def float_conv_tiling(channels_out: int, channels_in: int, out_h: int, out_w: int, kernel: tuple[int, int],
                      strides: tuple[int, int], dilations: tuple[int, int]) -> FloatConvTiling | None:
    """Tiles for a conv with these (static) sizes, or None where it does not tile (output channels
    not a multiple of FLOAT_CHANNELS, no width divisible by 4..8, a stage too big).

    A thread takes the widest run of 8..4 columns that divides the width (fewest loads per
    product); a block whole rows (a divisor of the height) of up to 256 output channels, as many
    threads as fit FLOAT_CONV_THREADS, whole warps first, then the most rows (the fewest weights
    staged per output); a stage the most input channels (a divisor of C) whose input rows and
    weights fit FLOAT_STAGE_BYTES."""
    columns = next((c for c in (8, 7, 6, 5, 4) if out_w % c == 0), None)
    if channels_out % FLOAT_CHANNELS or columns is None:
        return None
    def input_rows(rows: int) -> int:
        return (rows - 1) * strides[0] + (kernel[0] - 1) * dilations[0] + 1

    in_cols = (out_w - 1) * strides[1] + (kernel[1] - 1) * dilations[1] + 1
    taps = kernel[0] * kernel[1]

    def staged_per_output(t: FloatConvTiling) -> float:
        return (input_rows(t.rows) * in_cols + t.channels * taps) / (t.channels * t.rows * out_w)

    candidates = [FloatConvTiling(columns, rows, channels, 1)
                  for rows in range(1, out_h + 1) if out_h % rows == 0
                  for channels in (8, 16, 32, 64, 128, 256) if channels_out % channels == 0]
    candidates = [t for t in candidates if t.threads(out_w) <= FLOAT_CONV_THREADS]
    if not candidates:
        return None
    best = max(candidates, key=lambda t: (t.threads(out_w) % 32 == 0, t.threads(out_w), -staged_per_output(t)))
    per_channel = 4 * (input_rows(best.rows) * in_cols + best.channels * taps)
    fitting = [c for c in range(1, channels_in + 1) if channels_in % c == 0 and c * per_channel <= FLOAT_STAGE_BYTES]
    if not fitting:
        return None
    return FloatConvTiling(columns, best.rows, best.channels, max(fitting))


def _schedule_float_conv(sch: s_tir.Schedule) -> bool:
    """A float conv (conv[n, f, y, x] = sum over (rc, ry, rx) of in[n, rc, sy*y + dy*ry, sx*x + dx*rx]
    * w[f, rc, ry, rx]) as a register-tiled direct convolution in fp32 on the CUDA cores:

    * a thread computes 8 output channels x `columns` neighbouring output columns of one row (up
      to 64 accumulators in registers); a block `rows` whole rows of one image and `channels`
      output channels (8 channel groups x rows x column runs: up to 128 threads; the threads of a
      warp share a channel group or two);
    * the reduction runs over chunks of `chunk` input channels: the block's threads stage the
      chunk's input rows (with the zero padding: the kernel's pad_temp stage, computed on the way
      in, with unconditional loads) and its weights in shared memory, the weights transposed to [rc, ry, rx, f] so that a thread reads
      its 8 channels of a tap as two float4 loads (a broadcast to the warp);
    * per (rc, ry) a thread loads the (columns - 1) * sx + (kw - 1) * dx + 1 inputs its row reads
      into registers, then per rx its 8 weights, and does 8 x columns multiply-adds per rx. For
      the 7x7 stride-2 stem (8 x 7 per thread): 19 + 7 x 2 shared loads per 392 products and 392
      additions, so the loop issues about 94% float instructions.

    Each output still adds its products in TOPI's order (rc, ry, rx sequentially: the tiling only
    decides which thread owns which outputs and what sits in registers), the order of the tvm-llvm
    build's conv2d, so both targets give the same floats. That order is not needed for
    correctness -- any order is an fp32 sum, and the reference runtime's own (blocked) order
    differs from it anyway -- it simply costs nothing here. Products stay rounded before the add: the module
    is compiled with --fmad=false (`cuda_compile.py`), so each multiply-add is an FMUL and an
    FADD, and the fp32 roof of this loop is half the FMA peak (one float instruction per lane and
    clock either way). A fused element-wise stage (a bias) runs on the registers.
    Returns False (nothing done) for what `float_conv_tiling` does not tile."""
    conv = sch.get_sblock("conv2d_nchw")
    nn, ff, yy, xx, rc, ry, rx = sch.get_loops(conv)
    pad = sch.get_sblock("pad_temp") if _has_block(sch, "pad_temp") else None
    sizes = _static_extents(sch, (ff, yy, xx, rc, ry, rx))
    geometry = _conv_geometry(sch, conv)
    if sizes is None or geometry is None:
        return False
    channels_out, out_h, out_w, channels_in, kh, kw = sizes
    tiling = float_conv_tiling(channels_out, channels_in, out_h, out_w, (kh, kw), *geometry)
    if tiling is None:
        return False
    threads = tiling.threads(out_w)
    f_block, f_group, f_inner = sch.split(ff, [None, tiling.channels // FLOAT_CHANNELS, FLOAT_CHANNELS])
    y_block, y_inner = sch.split(yy, [None, tiling.rows])
    x_group, x_inner = sch.split(xx, [None, tiling.columns])
    rc_outer, rc_inner = sch.split(rc, [None, tiling.chunk])
    sch.reorder(nn, y_block, f_block, f_group, y_inner, x_group, rc_outer, rc_inner, ry, rx, f_inner, x_inner)
    sch.bind(sch.fuse(nn, y_block), "blockIdx.x")
    sch.bind(f_block, "blockIdx.y")
    thread = sch.fuse(f_group, y_inner, x_group)
    sch.bind(thread, "threadIdx.x")
    for loop in (rx, f_inner, x_inner):
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
    if pad is not None:                          # the padded input: staged as it is computed
        sch.set_scope(pad, 0, "shared")
        staged_input = pad
    else:
        staged_input = sch.cache_read(conv, 0, "shared")
    staged_weights = sch.cache_read(conv, 1, "shared")
    inputs = sch.cache_read(conv, 0, "local")    # the inputs of one (rc, ry) for the thread's columns
    weights = sch.cache_read(conv, 1, "local")   # the 8 weights of one tap
    sch.compute_at(inputs, ry)
    sch.compute_at(weights, rx)
    sch.compute_at(staged_input, rc_outer)       # shared: relaxed over the block's threads
    sch.compute_at(staged_weights, rc_outer)
    sch.transform_layout(staged_weights, ("write", 0), lambda f, c, y, x: (c, y, x, f))
    sch.decompose_reduction(conv, rc_outer)
    _stage_rows(sch, staged_input, rc_outer, threads)
    f, *taps = _loops_below(sch, staged_weights, rc_outer)   # f, then (rc, ry, rx) where not 1
    sch.reorder(*taps, f)                        # neighbouring threads: neighbouring channels, banks
    _spread(sch, staged_weights, [*taps, f], threads)
    for loop in _loops_below(sch, inputs, ry):
        sch.unroll(loop)
    channel_loop = _loops_below(sch, weights, rx)[-1]
    pair, quad = sch.split(channel_loop, [None, 4])
    sch.unroll(pair)
    sch.vectorize(quad)
    return True


def _stage_rows(sch: s_tir.Schedule, stage, loop, threads: int) -> None:
    """Share out a stage of input rows [rc, row, column] over the block's threads: row by row when
    a row has at least half as many columns as there are threads (no division by the row length in
    the index: a load per column, coalesced), else all of it at once."""
    loops = _loops_below(sch, stage, loop)
    if int(sch.get(loops[-1]).extent) * 2 >= threads:
        step, thread = sch.split(loops[-1], [None, threads])
        sch.bind(thread, "threadIdx.x")
        for outer in (*loops[:-1], step):
            sch.unroll(outer)
    else:
        _spread(sch, stage, loops, threads)


def _static_extents(sch: s_tir.Schedule, loops) -> tuple[int, ...] | None:
    """The loops' extents, or None when one is not a constant."""
    extents = [sch.get(loop).extent for loop in loops]
    return tuple(int(e) for e in extents) if all(isinstance(e, tirx.IntImm) for e in extents) else None


def _conv_geometry(sch: s_tir.Schedule, conv) -> tuple[tuple[int, int], tuple[int, int]] | None:
    """(strides, dilations) of TOPI's conv2d_nchw block, read from its input index
    [n, rc, sy * y + dy * ry, sx * x + dx * rx] (None when it is not of that form)."""
    block = sch.get(conv)
    variables = {v.var.name: v.var for v in block.iter_vars}
    read = block.reads[0].region
    if len(read) != 4:
        return None
    strides, dilations = [], []
    for axis, (out, tap) in zip((2, 3), (("v_yy", "v_ry"), ("v_xx", "v_rx"))):
        index = read[axis].min
        coefficients = detect_linear_equation(index, [variables[out], variables[tap]]) \
            if out in variables and tap in variables else []
        if len(coefficients) != 3 or not all(isinstance(c, tirx.IntImm) for c in coefficients[:2]):
            return None
        strides.append(int(coefficients[0]))
        dilations.append(int(coefficients[1]))
    return (strides[0], strides[1]), (dilations[0], dilations[1])


def schedule_gpu(function: tirx.PrimFunc) -> tirx.PrimFunc:
    """The CUDA schedule of one bnncc kernel."""
    sch = s_tir.Schedule(function)
    kind = str(function.attrs[KERNEL_ATTR])
    if kind == "binary_conv":
        _schedule_binary_conv(sch)
    elif not (kind == "float_conv" and _schedule_float_conv(sch)):
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
