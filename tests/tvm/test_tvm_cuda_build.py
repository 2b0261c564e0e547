"""tvm-cuda without a GPU: the CUDA module of a Bi-Real block is generated with bnncc's kernels
(XOR + __popcll on packed words, weights in shared memory, rounded products), compiled by nvcc or
NVRTC into device code, and exported as a library that holds the binary, not the source."""
from __future__ import annotations

import re

import pytest
from tvm_testing import require_tvm

require_tvm()

import zoo  # noqa: E402

from bnncc.frontend.importer import import_model  # noqa: E402
from bnncc.pipeline import run_passes  # noqa: E402
from bnncc.report import ConversionReport  # noqa: E402
from bnncc.tvm import cuda_compile  # noqa: E402
from bnncc.tvm.build import build  # noqa: E402
from bnncc.tvm.lower import lower_graph  # noqa: E402

FATBIN_MAGIC = b"\x50\xed\x55\xba"          # nvcc's fatbin header
ELF_MAGIC = b"\x7fELF"                       # NVRTC's cubin (and the host library itself)


def lowered_block(batch=None):
    imported = import_model(zoo.bireal_block(seed=2, stem="resnet").SerializeToString())
    graph = run_passes(imported, ConversionReport(), target=None)
    return lower_graph(graph, imported.inputs, imported.outputs, batch=batch, target="cuda")


def kernels_of(source: str) -> dict[str, str]:
    """name -> body of every __global__ function in a CUDA source."""
    bodies, starts = {}, [m for m in re.finditer(r'__global__ void __launch_bounds__\(\d+\) (\w+)\(', source)]
    for match, following in zip(starts, starts[1:] + [None]):
        body = source[match.end():following.start() if following else len(source)]
        if "{" in body.split(";")[0]:          # a definition, not the forward declaration
            bodies[match.group(1)] = body
    return bodies


@pytest.fixture(scope="module")
def cuda_source() -> str:
    built = build(lowered_block(), "cuda", compile_device=False)
    assert not built.device_code
    return "\n".join(built.cuda_sources)


def test_binary_kernels_use_popcount_on_packed_words(cuda_source):
    kernels = kernels_of(cuda_source)
    binary = {name: body for name, body in kernels.items() if name.startswith("bnncc_binary_conv")}
    assert len(binary) == 2                       # the two binary convs, each one kernel (output stage fused)
    for name, body in binary.items():
        assert "__popcll(" in body, name
        assert re.search(r"__shared__ alignas\(\d+\) uint64_t \w+_shared", body), f"{name}: weights not in shared memory"
        assert "pop_local" in body, f"{name}: accumulators not in registers"


def test_affine_products_are_rounded_alone(cuda_source):
    kernels = kernels_of(cuda_source)
    for name in ("bnncc_binary_conv_kernel", "bnncc_channel_affine_kernel", "bnncc_maxpool_affine_kernel"):
        assert "__fmul_rn(" in kernels[name], name


def test_exact_flags_reach_the_compiler(monkeypatch):
    """nvcc gets the IEEE flags and no --use_fast_math."""
    seen = []

    class Done:
        returncode, stdout, stderr = 0, "", ""

    def fake_run(command, **_kwargs):
        seen.append(command)
        open(command[command.index("-o") + 1], "wb").write(b"fatbin")
        return Done()

    monkeypatch.setattr(cuda_compile.subprocess, "run", fake_run)
    monkeypatch.setattr(cuda_compile, "find_nvcc", lambda: "nvcc")
    assert cuda_compile._nvcc("__global__ void k() {}", "sm_90") == b"fatbin"
    (command,) = seen
    assert all(flag in command for flag in cuda_compile.EXACT_FLAGS)
    assert not any("fast_math" in part for part in command)
    assert "arch=compute_90,code=sm_90" in command


def test_cuda_library_holds_device_code(tmp_path):
    compiler = cuda_compile.available_compiler()
    if compiler is None:
        pytest.skip("no CUDA compiler here (nvcc, or pip install cuda-bindings nvidia-cuda-nvrtc nvidia-cuda-cccl)")
    built = build(lowered_block(batch=4), "cuda")
    assert built.device_code and built.cuda_sources
    library = tmp_path / "block.so"
    built.executable.export_library(str(library))
    data = library.read_bytes()
    assert b"__global__" not in data                      # compiled here, nothing to JIT on the GPU machine
    assert FATBIN_MAGIC in data if compiler == "nvcc" else data.count(ELF_MAGIC) >= 2


def test_binary_conv_inner_loop_is_branch_free(cuda_source):
    """With zero padding every popcount is of (word XOR weight) AND the tap's mask: no per-channel
    condition in the loop over the 64 channels of a word (which nvcc compiled into a branch per
    channel before)."""
    binary = {name: body for name, body in kernels_of(cuda_source).items() if name.startswith("bnncc_binary_conv")}
    for name, body in binary.items():
        calls = body.count("__popcll(")
        masked = re.findall(r"__popcll\(\(\(\w+_local_ptr\[[^\]]+\] \^ \w+_shared_ptr\[[^\]]+\]\) & ", body)
        assert calls == 64 and len(masked) == calls, name
        assert "condval" not in body.split("__popcll(")[1], name


@pytest.mark.parametrize("m", [64, 70])
def test_binary_conv_schedule_with_packed_tail_channels(m):
    """A binary conv whose packed output's last word has tail bits (M = 70) gets the GPU schedule
    too: the tail channels read `pop` at channels that exist (rounded up to whole words) and the
    parameters at channel M - 1, so the output stage keeps plain indices that the schedule solves."""
    from tvm import te, tirx

    from bnncc.tvm import kernels, schedules
    from bnncc.tvm.kernels import BinaryConv, Window

    batch = tirx.Var("batch", "int64")
    conv = BinaryConv(64, Window((3, 3), pads=(1, 1, 1, 1)))
    p = te.placeholder((batch, 7, 7, 1), "uint64", name="p")
    w = te.placeholder((3, 3, 1, m), "uint64", name="w")
    s, b, t = (te.placeholder((m,), "float32", name=name) for name in "sbt")
    d = te.placeholder((m,), "int8", name="d")
    outputs = kernels.binary_conv(p, w, conv, s, b, None, t, d, product=kernels.cuda_product)
    function = te.create_prim_func([p, w, s, b, t, d, *outputs]).with_attr(kernels.KERNEL_ATTR, "binary_conv")
    scheduled = schedules.schedule_gpu(function).script()
    assert 'thread="threadIdx.x"' in scheduled and 'scope="shared"' in scheduled


def stem_source(height: int = 224, bias: bool = False) -> str:
    """The CUDA source of Bi-Real-18's stem conv (3 -> 64, 7x7, stride 2, pad 3) as bnncc schedules it."""
    import tvm
    from tvm import te, tirx

    from bnncc.tvm import kernels, schedules
    from bnncc.tvm.kernels import Window

    batch = tirx.Var("batch", "int64")
    x = te.placeholder((batch, 3, height, height), "float32", name="x")
    w = te.placeholder((64, 3, 7, 7), "float32", name="w")
    operands = [x, w] + ([te.placeholder((64,), "float32", name="b")] if bias else [])
    y = kernels.float_conv(*operands, window=Window((7, 7), (2, 2), pads=(3, 3, 3, 3)), product=kernels.cuda_product)
    function = te.create_prim_func(operands + [y]).with_attr(kernels.KERNEL_ATTR, "float_conv")
    scheduled = schedules.schedule_gpu(function)
    sources = []
    cuda_compile.enable_cuda_modules()
    with cuda_compile.exact_cuda_compiler("sm_90", sources, compile_code=False):
        tvm.tirx.build(tvm.IRModule({"main": scheduled}), target=tvm.target.Target(build_target()))
    return "\n".join(sources)


def build_target() -> dict:
    from bnncc.tvm.build import target_spec
    return target_spec("cuda")


@pytest.mark.parametrize("bias", [False, True])
def test_float_stem_conv_is_register_tiled(bias):
    """The stem conv: a thread holds 8 channels x 8 columns (64 accumulators), the padded input rows
    and the weights of one input channel are staged in shared memory (the weights as [ry, rx, f]:
    two float4 loads per tap), the loads that stage the input are unconditional (no branch: the
    padding is a mask), and the products are rounded alone (__fmul_rn, 8 x 8 x 7 per (rc, ry))."""
    from bnncc.tvm import schedules

    assert schedules.float_conv_tiling(64, 3, 112, 112, (7, 7), (2, 2), (1, 1)) == \
        schedules.FloatConvTiling(columns=8, rows=4, channels=32, chunk=1)
    (body,) = kernels_of(stem_source(bias=bias)).values()
    assert "__launch_bounds__(224)" in stem_source(bias=bias)
    assert re.search(r"__shared__ alignas\(\d+\) float pad_temp_shared_ptr\[2977\]", body)   # 13 rows x 229
    assert re.search(r"__shared__ alignas\(\d+\) float w_shared_ptr\[1568\]", body)         # 32 x 7 x 7
    assert re.search(r"float conv2d_nchw\w*_local_ptr\[64\]", body)
    assert body.count("*(float4*)(w_shared_local_ptr") == 7 * 2                      # per rx (unrolled)
    assert body.count("__fmul_rn(") == 8 * 8 * 7
    assert "condval" not in body                  # TOPI's padding: a branch around each load
    assert body.count("? (uint)4294967295 : (uint)0)") >= 13   # the mask of a padded row's loads
    assert re.search(r"for \(int rc_0 = 0; rc_0 < 3; \+\+rc_0\)[\s\S]*for \(int ry = 0; ry < 7; \+\+ry\)", body)


def test_float_convs_are_bnncc_kernels_on_cuda():
    """tvm-cuda lowers float convs to bnncc's kernel (the ones it cannot tile, like the block's
    11x11 stem, get one thread per output); float_convs=False keeps TOPI's conv2d for DLight."""
    imported = import_model(zoo.bireal_block(seed=2, stem="resnet").SerializeToString())
    graph = run_passes(imported, ConversionReport(), target=None)
    default = lower_graph(graph, imported.inputs, imported.outputs, target="cuda")
    assert default.kernels["float_conv"] == 2
    kernels = kernels_of("\n".join(build(default, "cuda", compile_device=False).cuda_sources))
    assert {"bnncc_float_conv_kernel", "bnncc_float_conv1_kernel"} <= set(kernels)
    dlight = lower_graph(graph, imported.inputs, imported.outputs, target="cuda", float_convs=False)
    assert "float_conv" not in dlight.kernels
    assert "fused_conv2d_add_kernel" in kernels_of("\n".join(build(dlight, "cuda", compile_device=False).cuda_sources))
